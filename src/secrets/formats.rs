//! Credential formats as their providers document them, as generators of random samples: the
//! ground truth for the boundary test (every built-in rule, every delimiter) and for the recall
//! measured in `docs/secrets-report.md` (`cargo run --release --example secrets_report`).
//!
//! What belongs here: one [`Format`] row per documented token shape (prefix, alphabet, length),
//! written from the provider's own documentation or token-format announcement (see each
//! row's `source`), not from any detector's sample list; and the hard negatives the report
//! measures false positives on. Nothing here is used on a hook call.
//!
//! Samples come from a seeded generator ([`Rng`]), so every run sees the same texts.

/// A piece of a token.
#[derive(Clone, Copy, Debug)]
pub enum Part {
    /// Fixed text.
    Lit(&'static str),
    /// `min..=max` characters drawn from an alphabet.
    Chars(&'static str, usize, usize),
    /// `n` lines of `width` characters of an alphabet, each line ended by `\n`.
    Lines(&'static str, usize, usize),
}

/// One documented token shape.
#[derive(Clone, Copy, Debug)]
pub struct Format {
    /// The built-in rule that must find it.
    pub rule: &'static str,
    /// Provider, for the per-provider table.
    pub provider: &'static str,
    /// Where the shape is documented.
    pub source: &'static str,
    /// Context the rule needs before the value (a variable name, a URL's scheme and user).
    pub before: &'static str,
    /// The secret.
    pub parts: &'static [Part],
    /// Context after the value (a URL's host).
    pub after: &'static str,
}

/// Alphabets.
pub const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const B64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
pub const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const HEX: &str = "0123456789abcdef";
pub const DIGITS: &str = "0123456789";
pub const UPPER_ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub const LOWER_ALNUM: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
pub const ALPHA: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// AWS key ids: base32 (RFC 4648 upper case).
pub const BASE32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Bech32's data alphabet, upper case (age keys).
pub const BECH32: &str = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";
/// Passwords: letters, digits and the symbols password generators use that need no quoting
/// in a URL's userinfo.
pub const PASSWORD: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*-_~.";
/// Passwords in an assignment: more symbols.
pub const PASSWORD_SYMBOLS: &str =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!@#%^*-_+=~.";

use Part::{Chars, Lines, Lit};

const fn f(
    rule: &'static str,
    provider: &'static str,
    source: &'static str,
    before: &'static str,
    parts: &'static [Part],
    after: &'static str,
) -> Format {
    Format {
        rule,
        provider,
        source,
        before,
        parts,
        after,
    }
}

const UUID: &[Part] = &[
    Chars(HEX, 8, 8),
    Lit("-"),
    Chars(HEX, 4, 4),
    Lit("-4"),
    Chars(HEX, 3, 3),
    Lit("-a"),
    Chars(HEX, 3, 3),
    Lit("-"),
    Chars(HEX, 12, 12),
];

/// The documented formats. Every built-in rule has at least one row (a unit test checks it).
#[rustfmt::skip]
pub static FORMATS: &[Format] = &[
    // AWS: IAM User Guide, "Understanding unique ID prefixes" and access key format.
    f("aws-access-key-id", "aws", "AWS IAM: AKIA (long-term) / ASIA (temporary) + 16 base32", "aws_access_key_id = ", &[Lit("AKIA"), Chars(BASE32, 16, 16)], ""),
    f("aws-access-key-id", "aws", "AWS IAM: ASIA temporary key id", "", &[Lit("ASIA"), Chars(BASE32, 16, 16)], ""),
    f("aws-secret-access-key", "aws", "AWS: 40-character secret access key", "aws_secret_access_key = ", &[Chars(B64, 40, 40)], ""),
    f("aws-session-token", "aws", "AWS STS session token (base64, IQoJb3JpZ2lu…)", "aws_session_token = ", &[Lit("IQoJb3JpZ2luX2Vj"), Chars(B64, 200, 400)], ""),
    f("aws-bedrock-api-key", "aws", "Amazon Bedrock long-term API key (ABSK + base64)", "AWS_BEARER_TOKEN_BEDROCK=", &[Lit("ABSKQmVkcm9ja0FQSUtleS"), Chars(B64, 100, 140)], ""),
    // GitHub: "Behind GitHub's new authentication token formats" (2021) and fine-grained PATs.
    f("github-pat", "github", "GitHub: ghp_ + 36 [A-Za-z0-9]", "", &[Lit("ghp_"), Chars(ALNUM, 36, 36)], ""),
    f("github-oauth", "github", "GitHub: gho_ + 36", "", &[Lit("gho_"), Chars(ALNUM, 36, 36)], ""),
    f("github-app-token", "github", "GitHub: ghu_ / ghs_ + 36", "", &[Lit("ghs_"), Chars(ALNUM, 36, 36)], ""),
    f("github-app-token", "github", "GitHub: ghu_ + 36", "", &[Lit("ghu_"), Chars(ALNUM, 36, 36)], ""),
    f("github-refresh-token", "github", "GitHub: ghr_ + 36..76", "", &[Lit("ghr_"), Chars(ALNUM, 36, 76)], ""),
    f("github-fine-grained-pat", "github", "GitHub: github_pat_ + 22 + _ + 59", "", &[Lit("github_pat_"), Chars(ALNUM, 22, 22), Lit("_"), Chars(ALNUM, 59, 59)], ""),
    // GitLab: docs "Token prefixes" (security/tokens): every token is the prefix + a 20+
    // character URL-safe random string (Devise.friendly_token), routable tokens add
    // `.` + 2-character version + 7-character CRC.
    f("gitlab-pat", "gitlab", "GitLab: glpat- + 20 urlsafe", "", &[Lit("glpat-"), Chars(B64URL, 20, 20)], ""),
    f("gitlab-pat", "gitlab", "GitLab: routable glpat- + 27 urlsafe + .01 + 7 crc", "", &[Lit("glpat-"), Chars(B64URL, 27, 27), Lit(".01"), Chars(LOWER_ALNUM, 7, 7)], ""),
    f("gitlab-pipeline-trigger-token", "gitlab", "GitLab: glptt- + 40 hex (pre-16.x)", "", &[Lit("glptt-"), Chars(HEX, 40, 40)], ""),
    f("gitlab-pipeline-trigger-token", "gitlab", "GitLab: glptt- + 20 urlsafe", "", &[Lit("glptt-"), Chars(B64URL, 20, 20)], ""),
    f("gitlab-runner-token", "gitlab", "GitLab: runner registration GR1348941 + 20 urlsafe", "", &[Lit("GR1348941"), Chars(B64URL, 20, 20)], ""),
    f("gitlab-runner-token", "gitlab", "GitLab: runner authentication glrt- + 20 urlsafe", "", &[Lit("glrt-"), Chars(B64URL, 20, 20)], ""),
    f("gitlab-runner-token", "gitlab", "GitLab: runner authentication glrt-t1_ + 20 urlsafe", "", &[Lit("glrt-t1_"), Chars(B64URL, 20, 20)], ""),
    f("gitlab-token", "gitlab", "GitLab: deploy token gldt- + 20 urlsafe", "", &[Lit("gldt-"), Chars(B64URL, 20, 20)], ""),
    f("gitlab-token", "gitlab", "GitLab: feed token glft- + 20", "", &[Lit("glft-"), Chars(B64URL, 20, 20)], ""),
    f("gitlab-token", "gitlab", "GitLab: SCIM OAuth glsoat- + 20", "", &[Lit("glsoat-"), Chars(B64URL, 20, 20)], ""),
    f("gitlab-token", "gitlab", "GitLab: CI build token glcbt-<partition>_ + 20", "", &[Lit("glcbt-64_"), Chars(B64URL, 20, 20)], ""),
    f("gitlab-token", "gitlab", "GitLab: incoming mail glimt- + 25", "", &[Lit("glimt-"), Chars(B64URL, 25, 25)], ""),
    f("gitlab-token", "gitlab", "GitLab: agent glagent- + 50", "", &[Lit("glagent-"), Chars(B64URL, 50, 50)], ""),
    f("gitlab-token", "gitlab", "GitLab: OAuth app secret gloas- + 64", "", &[Lit("gloas-"), Chars(B64URL, 64, 64)], ""),
    f("gitlab-token", "gitlab", "GitLab: feature flags client glffct- + 20", "", &[Lit("glffct-"), Chars(B64URL, 20, 20)], ""),
    // Slack: api.slack.com "Token types".
    f("slack-bot-token", "slack", "Slack: xoxb-<team>-<bot>-<24>", "", &[Lit("xoxb-"), Chars(DIGITS, 10, 13), Lit("-"), Chars(DIGITS, 10, 13), Lit("-"), Chars(ALNUM, 24, 24)], ""),
    f("slack-user-token", "slack", "Slack: xoxp-<3 ids>-<32 hex>", "", &[Lit("xoxp-"), Chars(DIGITS, 10, 13), Lit("-"), Chars(DIGITS, 10, 13), Lit("-"), Chars(DIGITS, 10, 13), Lit("-"), Chars(HEX, 32, 32)], ""),
    f("slack-app-token", "slack", "Slack: app-level xapp-1-A…-<ts>-<64 hex>", "", &[Lit("xapp-1-A"), Chars(UPPER_ALNUM, 10, 10), Lit("-"), Chars(DIGITS, 13, 13), Lit("-"), Chars(HEX, 64, 64)], ""),
    f("slack-config-token", "slack", "Slack: app configuration token xoxe.xoxp-1-…", "", &[Lit("xoxe.xoxp-1-"), Chars(UPPER_ALNUM, 160, 170)], ""),
    f("slack-config-token", "slack", "Slack: configuration refresh token xoxe-1-…", "", &[Lit("xoxe-1-"), Chars(UPPER_ALNUM, 140, 150)], ""),
    f("slack-legacy-token", "slack", "Slack: legacy workspace token xoxs-", "", &[Lit("xoxs-"), Chars(DIGITS, 10, 12), Lit("-"), Chars(DIGITS, 12, 12), Lit("-"), Chars(DIGITS, 12, 12), Lit("-"), Chars(HEX, 64, 64)], ""),
    f("slack-webhook-url", "slack", "Slack: incoming webhook URL", "", &[Lit("https://hooks.slack.com/services/T"), Chars(UPPER_ALNUM, 8, 10), Lit("/B"), Chars(UPPER_ALNUM, 8, 10), Lit("/"), Chars(ALNUM, 24, 24)], ""),
    // Stripe: docs "API keys" (sk_live_, rk_live_), webhook signing secrets whsec_.
    f("stripe-secret-key", "stripe", "Stripe: sk_live_ + 24..99", "", &[Lit("sk_live_"), Chars(ALNUM, 24, 99)], ""),
    f("stripe-secret-key", "stripe", "Stripe: restricted rk_live_ + 24..99", "", &[Lit("rk_live_"), Chars(ALNUM, 24, 99)], ""),
    f("stripe-webhook-secret", "stripe", "Stripe: whsec_ + 32", "", &[Lit("whsec_"), Chars(ALNUM, 32, 32)], ""),
    // OpenAI: project / service-account / admin keys, legacy keys with T3BlbkFJ.
    f("openai-api-key", "openai", "OpenAI: sk-proj- + urlsafe", "", &[Lit("sk-proj-"), Chars(B64URL, 120, 160)], ""),
    f("openai-api-key", "openai", "OpenAI: sk-svcacct- + urlsafe", "", &[Lit("sk-svcacct-"), Chars(B64URL, 120, 160)], ""),
    f("openai-api-key", "openai", "OpenAI: sk-admin- + urlsafe", "", &[Lit("sk-admin-"), Chars(B64URL, 120, 160)], ""),
    f("openai-api-key", "openai", "OpenAI: legacy sk- + 20 + T3BlbkFJ + 20", "", &[Lit("sk-"), Chars(ALNUM, 20, 20), Lit("T3BlbkFJ"), Chars(ALNUM, 20, 20)], ""),
    // Anthropic: console keys sk-ant-api03- (108 characters, ending AA), admin and OAuth.
    f("anthropic-api-key", "anthropic", "Anthropic: sk-ant-api03- + 93 urlsafe + AA", "", &[Lit("sk-ant-api03-"), Chars(B64URL, 93, 93), Lit("AA")], ""),
    f("anthropic-api-key", "anthropic", "Anthropic: admin key sk-ant-admin01-", "", &[Lit("sk-ant-admin01-"), Chars(B64URL, 93, 93), Lit("AA")], ""),
    f("anthropic-api-key", "anthropic", "Anthropic: OAuth token sk-ant-oat01-", "", &[Lit("sk-ant-oat01-"), Chars(B64URL, 93, 93), Lit("AA")], ""),
    // Google: API keys AIza + 35; OAuth client secrets GOCSPX- + 28; access tokens ya29.
    f("gcp-api-key", "google", "Google: AIza + 35 urlsafe", "", &[Lit("AIza"), Chars(B64URL, 35, 35)], ""),
    f("gcp-service-account-key-id", "google", "Google: service-account JSON private_key_id (40 hex)", "\"private_key_id\": \"", &[Chars(HEX, 40, 40)], "\""),
    f("gcp-oauth-client-secret", "google", "Google: GOCSPX- + 28 urlsafe", "", &[Lit("GOCSPX-"), Chars(B64URL, 28, 28)], ""),
    f("gcp-oauth-access-token", "google", "Google: OAuth access token ya29.", "", &[Lit("ya29."), Chars(B64URL, 100, 200)], ""),
    // Azure: Entra client secrets (3 chars, digit, Q~, 31..34), storage keys, SAS.
    f("azure-ad-client-secret", "azure", "Azure Entra: client secret xxx8Q~…", "client_secret=", &[Chars(ALNUM, 3, 3), Chars(DIGITS, 1, 1), Lit("Q~"), Chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~.-", 34, 34)], ""),
    f("azure-storage-account-key", "azure", "Azure: storage account key (64 bytes base64)", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=", &[Chars(B64, 86, 86), Lit("==")], ";EndpointSuffix=core.windows.net"),
    f("azure-sas-signature", "azure", "Azure: SAS sig= (HMAC-SHA256, URL-encoded base64)", "https://acct.blob.core.windows.net/c/f?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-01-01T00:00:00Z&sig=", &[Chars(ALNUM, 43, 43), Lit("%3D")], ""),
    // Hugging Face: docs "User access tokens" (hf_ + 34 letters), org tokens.
    f("huggingface-access-token", "huggingface", "Hugging Face: hf_ + 34 letters", "", &[Lit("hf_"), Chars(ALPHA, 34, 34)], ""),
    f("huggingface-org-token", "huggingface", "Hugging Face: api_org_ + 34 letters", "", &[Lit("api_org_"), Chars(ALPHA, 34, 34)], ""),
    // npm / PyPI.
    f("npm-access-token", "npm", "npm: npm_ + 36", "", &[Lit("npm_"), Chars(ALNUM, 36, 36)], ""),
    f("npmrc-auth-token", "npm", ".npmrc: _auth = base64(user:password)", "//registry.example.com/:_auth=", &[Chars(B64, 32, 48), Lit("=")], ""),
    f("pypi-upload-token", "pypi", "PyPI: macaroon pypi-AgEIcHlwaS5vcmc…", "", &[Lit("pypi-AgEIcHlwaS5vcmc"), Chars(B64URL, 60, 180)], ""),
    // Twilio / SendGrid / Mailgun.
    f("twilio-api-key", "twilio", "Twilio: API key SID SK + 32 hex", "", &[Lit("SK"), Chars(HEX, 32, 32)], ""),
    f("twilio-auth-token", "twilio", "Twilio: auth token 32 hex", "TWILIO_AUTH_TOKEN=", &[Chars(HEX, 32, 32)], ""),
    f("sendgrid-api-key", "sendgrid", "SendGrid: SG. + 22 + . + 43 urlsafe", "", &[Lit("SG."), Chars(B64URL, 22, 22), Lit("."), Chars(B64URL, 43, 43)], ""),
    f("mailgun-api-key", "mailgun", "Mailgun: key- + 32", "", &[Lit("key-"), Chars(LOWER_ALNUM, 32, 32)], ""),
    f("mailgun-signing-key", "mailgun", "Mailgun: webhook signing key 32hex-8hex-8hex", "MAILGUN_SIGNING_KEY=", &[Chars(HEX, 32, 32), Lit("-"), Chars(HEX, 8, 8), Lit("-"), Chars(HEX, 8, 8)], ""),
    // DigitalOcean / Heroku / Datadog / Shopify.
    f("digitalocean-token", "digitalocean", "DigitalOcean: dop_v1_ + 64 hex", "", &[Lit("dop_v1_"), Chars(HEX, 64, 64)], ""),
    f("digitalocean-token", "digitalocean", "DigitalOcean: OAuth doo_v1_ + 64 hex", "", &[Lit("doo_v1_"), Chars(HEX, 64, 64)], ""),
    f("heroku-api-key", "heroku", "Heroku: HRKU-AA + 58", "", &[Lit("HRKU-AA"), Chars(B64URL, 58, 58)], ""),
    f("heroku-api-key-legacy", "heroku", "Heroku: legacy UUID API key", "HEROKU_API_KEY=", UUID, ""),
    f("datadog-api-key", "datadog", "Datadog: API key 32 hex", "DD_API_KEY=", &[Chars(HEX, 32, 32)], ""),
    f("datadog-api-key", "datadog", "Datadog: application key 40 hex", "DD_APP_KEY=", &[Chars(HEX, 40, 40)], ""),
    f("shopify-token", "shopify", "Shopify: shpat_ + 32 hex", "", &[Lit("shpat_"), Chars(HEX, 32, 32)], ""),
    f("shopify-token", "shopify", "Shopify: shpss_ shared secret", "", &[Lit("shpss_"), Chars(HEX, 32, 32)], ""),
    // Discord / Telegram.
    f("discord-bot-token", "discord", "Discord: base64(id).timestamp.hmac", "DISCORD_BOT_TOKEN=", &[Lit("MT"), Chars(B64URL, 22, 24), Lit("."), Chars(B64URL, 6, 6), Lit("."), Chars(B64URL, 27, 38)], ""),
    f("discord-webhook-url", "discord", "Discord: webhook token (68 urlsafe)", "https://discord.com/api/webhooks/123456789012345678/", &[Chars(B64URL, 68, 68)], ""),
    f("telegram-bot-token", "telegram", "Telegram: <bot id>:AA + 33", "TELEGRAM_BOT_TOKEN=", &[Chars(DIGITS, 9, 10), Lit(":AA"), Chars(B64URL, 33, 33)], ""),
    // Keys.
    f("private-key", "private-key", "RFC 7468 PEM private key", "", &[Lit("-----BEGIN RSA PRIVATE KEY-----\n"), Lines(B64, 64, 6), Chars(B64, 20, 40), Lit("\n-----END RSA PRIVATE KEY-----")], ""),
    f("private-key", "private-key", "OpenSSH private key", "", &[Lit("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"), Lines(B64, 70, 4), Chars(B64, 20, 40), Lit("\n-----END OPENSSH PRIVATE KEY-----")], ""),
    f("putty-private-key", "private-key", "PuTTY .ppk v3 Private-Lines", "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: key\nPublic-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAIHb6QeMHxX0Kn1tzuR4wN3m2qR1u8yJ1n3m0wq2\nZ3Xx\nPrivate-Lines: 1\n", &[Chars(B64, 44, 44)], "\nPrivate-MAC: 5b0e9c2f1a3d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f"),
    f("netrc-password", "netrc", ".netrc machine/login/password", "machine api.example.com login bob password ", &[Chars(PASSWORD, 14, 22)], ""),
    f("age-secret-key", "private-key", "age: AGE-SECRET-KEY-1 + 58 bech32", "", &[Lit("AGE-SECRET-KEY-1"), Chars(BECH32, 58, 58)], ""),
    f("atlassian-api-token-bare", "atlassian", "Atlassian: API token ATATT3xFfGF0 + ~180 + =<8 hex>, bare", "", &[Lit("ATATT3xFfGF0"), Chars(B64URL, 170, 180), Lit("="), Chars(UPPER_ALNUM, 8, 8)], ""),
    f("postman-api-token", "postman", "Postman: PMAK-<24 hex>-<34 hex>", "", &[Lit("PMAK-"), Chars(HEX, 24, 24), Lit("-"), Chars(HEX, 34, 34)], ""),
    f("linear-api-key", "linear", "Linear: lin_api_ + 40 alphanumeric", "", &[Lit("lin_api_"), Chars(ALNUM, 40, 40)], ""),
    f("doppler-token", "doppler", "Doppler: personal token dp.pt. + 43", "", &[Lit("dp.pt."), Chars(ALNUM, 43, 43)], ""),
    f("doppler-token", "doppler", "Doppler: service token dp.st.<config>. + 40", "", &[Lit("dp.st.prd."), Chars(ALNUM, 40, 40)], ""),
    f("doppler-token", "doppler", "Doppler: CLI token dp.ct. + 43", "", &[Lit("dp.ct."), Chars(ALNUM, 43, 43)], ""),
    f("pulumi-access-token", "pulumi", "Pulumi: pul- + 40 hex", "", &[Lit("pul-"), Chars(HEX, 40, 40)], ""),
    f("supabase-token", "supabase", "Supabase: personal access token sbp_ + 40 hex", "", &[Lit("sbp_"), Chars(HEX, 40, 40)], ""),
    f("supabase-token", "supabase", "Supabase: secret API key sb_secret_ + 31..40", "", &[Lit("sb_secret_"), Chars(B64URL, 31, 40)], ""),
    f("newrelic-key", "newrelic", "New Relic: user API key NRAK- + 27", "", &[Lit("NRAK-"), Chars(UPPER_ALNUM, 27, 27)], ""),
    f("newrelic-key", "newrelic", "New Relic: insert key NRII- + 32", "", &[Lit("NRII-"), Chars(B64URL, 32, 32)], ""),
    f("dynatrace-api-token", "dynatrace", "Dynatrace: dt0c01.<24>.<64>", "", &[Lit("dt0c01."), Chars(UPPER_ALNUM, 24, 24), Lit("."), Chars(UPPER_ALNUM, 64, 64)], ""),
    f("easypost-api-key", "easypost", "EasyPost: EZAK + 54", "", &[Lit("EZAK"), Chars(ALNUM, 54, 54)], ""),
    f("easypost-api-key", "easypost", "EasyPost: test key EZTK + 54", "", &[Lit("EZTK"), Chars(ALNUM, 54, 54)], ""),
    f("flutterwave-secret-key", "flutterwave", "Flutterwave: FLWSECK_TEST-<32 hex>-X", "", &[Lit("FLWSECK_TEST-"), Chars(HEX, 32, 32), Lit("-X")], ""),
    f("flutterwave-secret-key", "flutterwave", "Flutterwave: live FLWSECK-<32 hex>-X", "", &[Lit("FLWSECK-"), Chars(HEX, 32, 32), Lit("-X")], ""),
    f("frameio-api-token", "frameio", "Frame.io: fio-u- + 64", "", &[Lit("fio-u-"), Chars(B64URL, 64, 64)], ""),
    f("adobe-client-secret", "adobe", "Adobe: client secret p8e- + 32", "", &[Lit("p8e-"), Chars(ALNUM, 32, 32)], ""),
    f("alibaba-access-key-id", "alibaba", "Alibaba Cloud: LTAI + 20", "", &[Lit("LTAI"), Chars(ALNUM, 20, 20)], ""),
    f("clojars-api-token", "clojars", "Clojars: CLOJARS_ + 60", "", &[Lit("CLOJARS_"), Chars(LOWER_ALNUM, 60, 60)], ""),
    f("defined-networking-api-token", "defined-networking", "Defined Networking: dnkey-<26>-<52>", "", &[Lit("dnkey-"), Chars(B64URL, 26, 26), Lit("-"), Chars(B64URL, 52, 52)], ""),
    f("duffel-api-token", "duffel", "Duffel: duffel_live_ + 43", "", &[Lit("duffel_live_"), Chars(B64URL, 43, 43)], ""),
    f("planetscale-token", "planetscale", "PlanetScale: pscale_pw_ + 43", "", &[Lit("pscale_pw_"), Chars(B64URL, 43, 43)], ""),
    f("planetscale-token", "planetscale", "PlanetScale: pscale_tkn_ + 43", "", &[Lit("pscale_tkn_"), Chars(B64URL, 43, 43)], ""),
    f("prefect-api-key", "prefect", "Prefect: pnu_ + 36", "", &[Lit("pnu_"), Chars(ALNUM, 36, 36)], ""),
    f("readme-api-token", "readme", "ReadMe: rdme_ + 70", "", &[Lit("rdme_"), Chars(LOWER_ALNUM, 70, 70)], ""),
    f("rubygems-api-token", "rubygems", "RubyGems: rubygems_ + 48 hex", "", &[Lit("rubygems_"), Chars(HEX, 48, 48)], ""),
    f("brevo-api-key", "brevo", "Brevo: xkeysib-<64 hex>-<16>", "", &[Lit("xkeysib-"), Chars(HEX, 64, 64), Lit("-"), Chars(ALNUM, 16, 16)], ""),
    f("brevo-api-key", "brevo", "Brevo: SMTP key xsmtpsib-<64 hex>-<16>", "", &[Lit("xsmtpsib-"), Chars(HEX, 64, 64), Lit("-"), Chars(ALNUM, 16, 16)], ""),
    f("settlemint-token", "settlemint", "SettleMint: sm_pat_ + 16", "", &[Lit("sm_pat_"), Chars(ALNUM, 16, 16)], ""),
    f("shippo-api-token", "shippo", "Shippo: shippo_live_ + 40 hex", "", &[Lit("shippo_live_"), Chars(HEX, 40, 40)], ""),
    f("typeform-api-token", "typeform", "Typeform: tfp_ + 59", "", &[Lit("tfp_"), Chars(B64URL, 59, 59)], ""),
    f("groq-api-key", "groq", "Groq: gsk_ + 52", "", &[Lit("gsk_"), Chars(ALNUM, 52, 52)], ""),
    f("xai-api-key", "xai", "xAI: xai- + 80", "", &[Lit("xai-"), Chars(ALNUM, 80, 80)], ""),
    f("perplexity-api-key", "perplexity", "Perplexity: pplx- + 48", "", &[Lit("pplx-"), Chars(ALNUM, 48, 48)], ""),
    f("replicate-api-token", "replicate", "Replicate: r8_ + 37", "", &[Lit("r8_"), Chars(ALNUM, 37, 37)], ""),
    f("langsmith-api-key", "langchain", "LangSmith: lsv2_pt_<32 hex>_<10 hex>", "", &[Lit("lsv2_pt_"), Chars(HEX, 32, 32), Lit("_"), Chars(HEX, 10, 10)], ""),
    f("tavily-api-key", "tavily", "Tavily: tvly- + 32", "", &[Lit("tvly-"), Chars(ALNUM, 32, 32)], ""),
    f("tavily-api-key", "tavily", "Tavily: tvly-dev- + 32", "", &[Lit("tvly-dev-"), Chars(ALNUM, 32, 32)], ""),
    f("dockerhub-token", "docker", "Docker Hub: dckr_pat_ + 27", "", &[Lit("dckr_pat_"), Chars(B64URL, 27, 27)], ""),
    f("buildkite-api-token", "buildkite", "Buildkite: bkua_ + 40 hex", "", &[Lit("bkua_"), Chars(HEX, 40, 40)], ""),
    f("figma-token", "figma", "Figma: figd_ + 40", "", &[Lit("figd_"), Chars(B64URL, 40, 40)], ""),
    f("tailscale-key", "tailscale", "Tailscale: tskey-auth-<id>-<secret>", "", &[Lit("tskey-auth-k"), Chars(ALNUM, 10, 12), Lit("-"), Chars(ALNUM, 30, 33)], ""),
    f("neon-api-key", "neon", "Neon: napi_ + 64", "", &[Lit("napi_"), Chars(LOWER_ALNUM, 64, 64)], ""),
    f("netlify-token", "netlify", "Netlify: personal access token nfp_ + 36", "", &[Lit("nfp_"), Chars(ALNUM, 36, 36)], ""),
    f("pinecone-api-key", "pinecone", "Pinecone: pcsk_<6>_<63>", "", &[Lit("pcsk_"), Chars(ALNUM, 6, 6), Lit("_"), Chars(ALNUM, 63, 63)], ""),
    f("braintree-access-token", "braintree", "Braintree: access_token$production$<16>$<32 hex>", "", &[Lit("access_token$production$"), Chars(LOWER_ALNUM, 16, 16), Lit("$"), Chars(HEX, 32, 32)], ""),
    f("mapbox-secret-token", "mapbox", "Mapbox: sk.eyJ<payload>.<signature>", "", &[Lit("sk.eyJ1IjoiI"), Chars(B64URL, 40, 60), Lit("."), Chars(B64URL, 22, 22)], ""),
    f("dropbox-access-token", "dropbox", "Dropbox: sl. + 130..150", "", &[Lit("sl.u."), Chars(B64URL, 130, 150)], ""),
    f("salesforce-access-token", "salesforce", "Salesforce: session id 00D<org>!<token>", "", &[Lit("00D"), Chars(ALNUM, 15, 15), Lit("!AQ"), Chars(ALNUM, 90, 110)], ""),
    f("jfrog-token", "jfrog", "JFrog: API key AKCp + 69", "", &[Lit("AKCp"), Chars(ALNUM, 69, 69)], ""),
    f("jfrog-token", "jfrog", "JFrog: reference token cmVmdGtuOjAxOj + 50..", "", &[Lit("cmVmdGtuOjAxOj"), Chars(ALNUM, 50, 60)], ""),
    f("contentful-token", "contentful", "Contentful: CFPAT- + 43", "", &[Lit("CFPAT-"), Chars(B64URL, 43, 43)], ""),
    f("msteams-webhook-url", "microsoft", "Microsoft Teams: incoming webhook URL", "", &[Lit("https://contoso.webhook.office.com/webhookb2/"), Chars(HEX, 8, 8), Lit("-1111-4222-8333-"), Chars(HEX, 12, 12), Lit("@"), Chars(HEX, 8, 8), Lit("-aaaa-4bbb-8ccc-"), Chars(HEX, 12, 12), Lit("/IncomingWebhook/"), Chars(ALNUM, 32, 32), Lit("/"), Chars(HEX, 8, 8), Lit("-dddd-4eee-8fff-"), Chars(HEX, 12, 12)], ""),
    f("zapier-webhook-url", "zapier", "Zapier: catch hook URL", "", &[Lit("https://hooks.zapier.com/hooks/catch/"), Chars(DIGITS, 7, 8), Lit("/"), Chars(LOWER_ALNUM, 6, 6), Lit("/")], ""),
    f("jwt", "jwt", "RFC 7519 JWT (header.payload.signature)", "", &[Lit("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ"), Chars(B64URL, 40, 120), Lit("."), Chars(B64URL, 43, 43)], ""),
    // Other fixed-prefix formats.
    f("1password-service-account-token", "1password", "1Password: ops_eyJ…", "", &[Lit("ops_eyJ"), Chars(B64, 250, 300)], ""),
    f("1password-secret-key", "1password", "1Password: account secret key A3-…", "", &[Lit("A3-"), Chars(UPPER_ALNUM, 6, 6), Lit("-"), Chars(UPPER_ALNUM, 11, 11), Lit("-"), Chars(UPPER_ALNUM, 5, 5), Lit("-"), Chars(UPPER_ALNUM, 5, 5), Lit("-"), Chars(UPPER_ALNUM, 5, 5)], ""),
    f("vault-token", "vault", "HashiCorp Vault: hvs. service token", "", &[Lit("hvs."), Chars(B64URL, 90, 100)], ""),
    f("vault-token-legacy", "vault", "HashiCorp Vault: legacy s. + 24", "VAULT_TOKEN=", &[Lit("s."), Chars(ALNUM, 24, 24)], ""),
    f("terraform-cloud-token", "hashicorp", "HCP Terraform: <14>.atlasv1.<60..70>", "", &[Chars(ALNUM, 14, 14), Lit(".atlasv1."), Chars(B64URL, 60, 70)], ""),
    f("databricks-token", "databricks", "Databricks: dapi + 32 hex", "", &[Lit("dapi"), Chars(HEX, 32, 32)], ""),
    f("grafana-token", "grafana", "Grafana: service account glsa_ + 32 + _ + 8 hex", "", &[Lit("glsa_"), Chars(ALNUM, 32, 32), Lit("_"), Chars(HEX, 8, 8)], ""),
    f("grafana-token", "grafana", "Grafana Cloud: glc_ + base64", "", &[Lit("glc_"), Chars(B64, 60, 120)], ""),
    f("notion-token", "notion", "Notion: ntn_ + 11 digits + 35", "", &[Lit("ntn_"), Chars(DIGITS, 11, 11), Chars(ALNUM, 35, 35)], ""),
    f("notion-token", "notion", "Notion: legacy secret_ + 43", "", &[Lit("secret_"), Chars(ALNUM, 43, 43)], ""),
    f("sentry-token", "sentry", "Sentry: user token sntryu_ + 64 hex", "", &[Lit("sntryu_"), Chars(HEX, 64, 64)], ""),
    f("sourcegraph-token", "sourcegraph", "Sourcegraph: sgp_<16 hex>_<40 hex>", "", &[Lit("sgp_"), Chars(HEX, 16, 16), Lit("_"), Chars(HEX, 40, 40)], ""),
    f("sourcegraph-token-legacy", "sourcegraph", "Sourcegraph: legacy 40 hex", "SOURCEGRAPH_TOKEN=", &[Chars(HEX, 40, 40)], ""),
    f("square-token", "square", "Square: sq0atp- + 22 urlsafe", "", &[Lit("sq0atp-"), Chars(B64URL, 22, 22)], ""),
    f("square-token", "square", "Square: sq0csp- + 43 urlsafe", "", &[Lit("sq0csp-"), Chars(B64URL, 43, 43)], ""),
    f("square-token", "square", "Square: EAAA + 60 access token", "", &[Lit("EAAA"), Chars(B64URL, 60, 60)], ""),
    f("flyio-token", "flyio", "Fly.io: fo1_ + 43", "", &[Lit("fo1_"), Chars(B64URL, 43, 43)], ""),
    f("flyio-token", "flyio", "Fly.io: macaroon FlyV1 fm2_…", "", &[Lit("FlyV1 fm2_"), Chars(B64, 120, 200)], ""),
    f("openshift-token", "openshift", "OpenShift: sha256~ + 43 urlsafe", "", &[Lit("sha256~"), Chars(B64URL, 43, 43)], ""),
    f("facebook-page-token", "facebook", "Meta: EAAC/EAAM access token", "", &[Lit("EAAM"), Chars(ALNUM, 120, 200)], ""),
    f("mailchimp-api-key", "mailchimp", "Mailchimp: 32 hex + -usN", "", &[Chars(HEX, 32, 32), Lit("-us"), Chars(DIGITS, 1, 2)], ""),
    f("octopus-deploy-api-key", "octopus", "Octopus Deploy: API- + 26", "", &[Lit("API-"), Chars(UPPER_ALNUM, 26, 26)], ""),
    f("cloudflare-api-key", "cloudflare", "Cloudflare: API token 40 urlsafe", "CLOUDFLARE_API_TOKEN=", &[Chars(B64URL, 40, 40)], ""),
    f("cloudflare-api-key", "cloudflare", "Cloudflare: global API key 37 hex", "CLOUDFLARE_API_KEY=", &[Chars(HEX, 37, 37)], ""),
    f("cloudflare-origin-ca-key", "cloudflare", "Cloudflare: Origin CA key v1.0-", "", &[Lit("v1.0-"), Chars(HEX, 24, 24), Lit("-"), Chars(HEX, 146, 146)], ""),
    f("sumologic-access-key", "sumologic", "Sumo Logic: access key 64", "SUMO_ACCESS_KEY=", &[Chars(ALNUM, 64, 64)], ""),
    f("snyk-api-token", "snyk", "Snyk: API token (UUID)", "SNYK_TOKEN=", UUID, ""),
    f("sonar-api-token", "sonar", "SonarQube: squ_ + 40", "SONAR_TOKEN=", &[Lit("squ_"), Chars(ALNUM, 40, 40)], ""),
    f("okta-api-token", "okta", "Okta: API token 00 + 40", "OKTA_API_TOKEN=", &[Lit("00"), Chars(B64URL, 40, 40)], ""),
    f("sidekiq-credentials", "sidekiq", "Sidekiq Enterprise: BUNDLE_ENTERPRISE__CONTRIBSYS__COM=user:pass", "BUNDLE_ENTERPRISE__CONTRIBSYS__COM=", &[Chars(HEX, 8, 8), Lit(":"), Chars(HEX, 8, 8)], ""),
    f("facebook-app-secret", "facebook", "Meta: app secret 32 hex", "FACEBOOK_APP_SECRET=", &[Chars(HEX, 32, 32)], ""),
    f("facebook-app-access-token", "facebook", "Meta: app access token <app id>|<secret>", "access_token=", &[Chars(DIGITS, 15, 16), Lit("|"), Chars(B64URL, 27, 32)], ""),
    f("hubspot-api-key", "hubspot", "HubSpot: legacy API key (UUID)", "HUBSPOT_API_KEY=", UUID, ""),
    f("messagebird-key", "messagebird", "MessageBird: access key 25", "MESSAGEBIRD_API_KEY=", &[Chars(ALNUM, 25, 25)], ""),
    f("infracost-api-token", "infracost", "Infracost: ico- + 32", "", &[Lit("ico-"), Chars(ALNUM, 32, 32)], ""),
    f("scalingo-api-token", "scalingo", "Scalingo: tk-us- + 48", "", &[Lit("tk-us-"), Chars(B64URL, 48, 48)], ""),
    f("intra42-client-secret", "intra42", "42 Intra: s-s4t2ud- + 64 hex", "", &[Lit("s-s4t2ud-"), Chars(HEX, 64, 64)], ""),
    f("atlassian-api-token", "atlassian", "Atlassian: ATATT3 + 180..190", "JIRA_API_TOKEN=", &[Lit("ATATT3xFfGF0"), Chars(B64URL, 180, 190)], ""),
    f("nuget-config-password", "nuget", "nuget.config ClearTextPassword", "<add key=\"ClearTextPassword\" value=\"", &[Chars(PASSWORD, 12, 20)], "\" />"),
    f("kubernetes-secret-data", "kubernetes", "Kubernetes Secret data (base64)", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: ", &[Chars(B64, 20, 40), Lit("==")], ""),
    // Structural: URLs with a password (the schemes databases and brokers document).
    f("url-password", "database-url", "PostgreSQL connection URI", "DATABASE_URL=postgres://app:", &[Chars(PASSWORD, 12, 24)], "@db.internal:5432/app"),
    f("url-password", "database-url", "PostgreSQL connection URI (postgresql://)", "postgresql://admin:", &[Chars(PASSWORD, 12, 24)], "@10.0.0.5/prod?sslmode=require"),
    f("url-password", "database-url", "MySQL URI", "mysql://root:", &[Chars(PASSWORD, 12, 24)], "@localhost:3306/shop"),
    f("url-password", "database-url", "MongoDB SRV URI", "mongodb+srv://svc:", &[Chars(PASSWORD, 12, 24)], "@cluster0.abcde.mongodb.net/?retryWrites=true"),
    f("url-password", "database-url", "Redis URI (password only)", "redis://:", &[Chars(PASSWORD, 12, 24)], "@cache:6379/0"),
    f("url-password", "database-url", "Redis TLS URI", "rediss://default:", &[Chars(PASSWORD, 12, 24)], "@redis.prod.internal:6380"),
    f("url-password", "database-url", "AMQP URI", "amqp://guest1:", &[Chars(PASSWORD, 12, 24)], "@rabbit:5672/vhost"),
    f("url-password", "database-url", "AMQPS URI", "amqps://worker:", &[Chars(PASSWORD, 12, 24)], "@mq.prod.internal:5671"),
    f("curl-user-password", "curl", "curl -u user:password", "curl -u ", &[Lit("deploy:"), Chars(PASSWORD, 12, 20)], " https://api.example.com/v1"),
    f("authorization-header", "auth-header", "HTTP Authorization: Bearer", "Authorization: Bearer ", &[Chars(ALNUM, 32, 48)], ""),
    // Generic: passwords after a credential name, including ones that start with a symbol.
    f("generic-secret", "generic", "password in an env file", "DB_PASSWORD=", &[Chars(PASSWORD_SYMBOLS, 14, 24)], ""),
    f("generic-secret", "generic", "password starting with !", "DB_PASSWORD=", &[Lit("!"), Chars(PASSWORD_SYMBOLS, 13, 20)], ""),
    f("generic-secret", "generic", "password starting with @", "SMTP_PASSWORD=", &[Lit("@"), Chars(PASSWORD_SYMBOLS, 13, 20)], ""),
    f("generic-secret", "generic", "password starting with # (quoted)", "password: \"", &[Lit("#"), Chars(PASSWORD_SYMBOLS, 13, 20)], "\""),
    f("generic-secret", "generic", "API key in code", "api_key = \"", &[Chars(ALNUM, 24, 40)], "\""),
];

/// A small deterministic generator (xorshift64*): samples are the same on every run.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        let span = hi.saturating_sub(lo).saturating_add(1) as u64;
        lo + (self.next_u64() % span) as usize
    }

    /// One character of `alphabet`.
    pub fn pick(&mut self, alphabet: &str) -> char {
        let b = alphabet.as_bytes();
        let i = self.range(0, b.len().saturating_sub(1));
        b.get(i).map_or('x', |&c| char::from(c))
    }
}

impl Format {
    /// A random secret of this format.
    pub fn sample(&self, rng: &mut Rng) -> String {
        let mut s = String::new();
        for p in self.parts {
            match *p {
                Lit(t) => s.push_str(t),
                Chars(a, lo, hi) => {
                    let n = rng.range(lo, hi);
                    s.extend((0..n).map(|_| rng.pick(a)));
                }
                Lines(a, width, n) => {
                    for _ in 0..n {
                        s.extend((0..width).map(|_| rng.pick(a)));
                        s.push('\n');
                    }
                }
            }
        }
        s
    }

    /// A sample whose last random character is `last` (when `last` is in the alphabet of the
    /// format's last random part and that part ends the secret): the boundary cases.
    pub fn sample_ending_in(&self, rng: &mut Rng, last: char) -> Option<String> {
        let Some(Chars(alphabet, _, _)) = self.parts.last() else {
            return None;
        };
        if !alphabet.contains(last) {
            return None;
        }
        let mut s = self.sample(rng);
        s.pop();
        s.push(last);
        Some(s)
    }

    /// The characters a secret of this format can end with.
    pub fn last_alphabet(&self) -> &'static str {
        match self.parts.last() {
            Some(Chars(a, _, _)) => a,
            _ => "",
        }
    }
}

/// How a line can reach the detector: the output shapes of the tools an agent runs (see
/// `src/post.rs`: every string of `tool_response` is scanned, object values with their key).
/// Each is `(name, tool_response)`.
pub fn shapes(line: &str) -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::json;
    let doc = json!({"data": {"items": [{"config": line}]}});
    let nested = doc.to_string();
    let pretty =
        serde_json::to_string_pretty(&json!({"status": "ok", "result": {"content": line}}))
            .unwrap_or_default();
    vec![
        (
            "bash",
            json!({"stdout": format!("$ ./deploy.sh\n{line}\ndone\n"), "stderr": "", "interrupted": false, "isImage": false}),
        ),
        (
            "read",
            json!({"type": "text", "file": {"filePath": "/p/.env", "content": format!("# settings\n{line}\nDEBUG=false\n"), "numLines": 3, "startLine": 1, "totalLines": 3}}),
        ),
        (
            "webfetch",
            json!({"bytes": line.len(), "code": 200, "codeText": "OK", "result": format!("Page:\n\n{line}\n"), "durationMs": 10, "url": "https://example.org/"}),
        ),
        (
            "mcp-text",
            json!([{"type": "text", "text": format!("Result:\n{line}\n")}]),
        ),
        // An MCP tool returning a JSON document as its text block.
        ("mcp-json-text", json!([{"type": "text", "text": pretty}])),
        (
            "mcp-structured",
            json!({"content": [{"type": "text", "text": "see structuredContent"}], "structuredContent": {"result": {"content": line}}}),
        ),
        // A JSON document held as a string (`curl` of an API, a log line with a payload).
        ("nested-json", json!({"stdout": nested, "stderr": ""})),
        // The same, nested once more: a document in a string in a document in the output.
        (
            "double-nested-json",
            json!([{"type": "text", "text": json!({"body": nested}).to_string()}]),
        ),
    ]
}

/// `text` with one level of JSON escapes decoded, as the detector decodes it (`None` when it
/// has none): the report's check that no escaped copy of a secret is left.
pub fn unescape(text: &str) -> Option<String> {
    super::escaped::View::of(text.as_bytes()).map(|v| String::from_utf8_lossy(&v.text).into_owned())
}
