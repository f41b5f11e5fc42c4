//! The built-in rule table: one row per credential format.
//!
//! Formats follow gitleaks' rule set (MIT) as a reference for the facts (prefixes, lengths,
//! alphabets); the patterns are written for this module. Every pattern is compiled as a *byte*
//! regex with Unicode off (`(?i)` is ASCII case folding), so `\w`, `\s`, `\b` are ASCII.
//!
//! Conventions a row must keep (the tests in `tests.rs` check them):
//! - all groups are non-capturing except the ones that hold the secret; the first group that
//!   took part in a match is the span to redact, or the whole match when the pattern has none;
//! - every rule has at least one keyword, lowercase, that any match must contain (the
//!   prefilter runs a rule only when one of its keywords occurs in the text);
//! - `prefix` is the fixed, public part of the format (e.g. `ghp_`): the only part of a secret
//!   that may ever be shown, and it is left out when the entropy gate is measured.

/// Extra checks on a candidate beyond regex and entropy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// Only the common placeholder filter (repeated filler characters such as `xxxx`).
    Format,
    /// A fixed format: filler characters plus counting sequences like `abcdef` / `123456`.
    Strict,
    /// AWS key ids and secret keys: also AWS's documented examples (`…EXAMPLE`,
    /// `…EXAMPLEKEY`).
    AwsKeyId,
    /// A value after a credential-looking name: placeholders, code, words, low entropy.
    Generic,
    /// `scheme://user:pass@host`: placeholder and well-known dummy passwords.
    UrlPassword,
    /// `curl -u user:pass`.
    CurlUser,
    /// `Authorization: <scheme> <value>`.
    AuthHeader,
    /// PEM / OpenSSH / PGP private key block.
    PrivateKey,
    /// `Strict`, and the value mixes upper case, lower case and at least two digits (for short
    /// formats whose prefix is common in code, like Vault's `s.`).
    Mixed,
    /// A password field: not a placeholder, not filler, not a dummy word, 6 bytes or more.
    Password,
    /// A `data:` block of a Kubernetes Secret: every value in it (see `kube.rs`).
    KubeData,
    /// A rule added by a policy file: regex and its own entropy gate only.
    Custom,
}

/// How a rule's regex is written down.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Pattern {
    /// A complete pattern.
    Raw(&'static str),
    /// "A name that mentions the service, an assignment, a value of this format", e.g.
    /// `DATADOG_API_KEY = "0123…"`: `names` is an alternation matched case-insensitively at a
    /// word start, `value` is matched case-sensitively and is the secret.
    Assign {
        names: &'static str,
        value: &'static str,
    },
    /// The rest of a match that begins with one of the rule's keywords: the detector runs
    /// this (anchored) right after each keyword occurrence the prefilter found, instead of
    /// scanning the text. Used for the generic rule, whose case-insensitive alternation of
    /// credential words would otherwise cost most of a cold start to compile.
    Anchored(&'static str),
}

/// Lower priority wins when two candidates overlap: a specific format beats a structural rule
/// (URL, header), which beats a generic `password = …` assignment.
pub(crate) const SPECIFIC: u8 = 0;
pub(crate) const STRUCTURAL: u8 = 1;
pub(crate) const GENERIC: u8 = 2;

#[derive(Clone, Copy, Debug)]
pub(crate) struct RuleDef {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) family: &'static str,
    pub(crate) keywords: &'static [&'static str],
    pub(crate) pattern: Pattern,
    /// Shannon entropy (bits per byte) the secret, minus `prefix`, must reach. 0 disables.
    pub(crate) min_entropy: f64,
    pub(crate) check: Check,
    pub(crate) prefix: &'static str,
    pub(crate) priority: u8,
}

/// Builds the regex source of a row. `Assign` rows share one assignment grammar: the name, up
/// to 25 more name characters (`_API_KEY`), an optional closing quote, an operator used by
/// shells, dotenv, YAML, JSON, TOML, Go, Ruby, Make, PHP, and the value, quoted or bare, that
/// must end at a delimiter so a longer token is not cut in half.
pub(crate) fn regex_source(p: &Pattern) -> String {
    match p {
        Pattern::Raw(s) => (*s).to_string(),
        Pattern::Anchored(s) => format!("^(?:{s})"),
        Pattern::Assign { names, value } => format!(
            r#"(?i)\b(?:{names})[\w.-]{{0,25}}\\?["'`]?[ \t]{{0,5}}(?:=|:=|::=|:::=|\?=|:|=>|\|\||,)[ \t]{{0,5}}(?:\\?["'`])?[ \t]{{0,3}}(?-i:({value}))(?:[\\"'`\s;,)<&}}]|$)"#
        ),
    }
}

/// Whether an anchored rule's regex can match at `end` (right after one of its keywords): a
/// necessary condition checked byte by byte, so that the regex is compiled and run only where
/// it may match. Wider than the regexes, never narrower (the prefilter tests compare the
/// results with running every rule everywhere).
/// - the generic assignment: an optional `\` and quote, up to 5 blanks, then an operator
///   (`=`, `:`, `?=`, `=>`, …) or the `,` of a quoted pair;
/// - a URL's user info: bytes of a user name up to a `:`, then password bytes up to an `@`.
pub(crate) fn anchor_may_match(check: Check, text: &[u8], end: usize) -> bool {
    let at = |i: usize| text.get(i).copied();
    match check {
        Check::Generic => {
            let mut i = end;
            if at(i) == Some(b'\\') {
                i += 1;
            }
            if matches!(at(i), Some(b'"' | b'\'' | b'`')) {
                i += 1;
            }
            let mut blanks = 0;
            while blanks < 5 && at(i).is_some_and(|b| b.is_ascii_whitespace() || b == 0x0b) {
                i += 1;
                blanks += 1;
            }
            matches!(at(i), Some(b'=' | b':' | b'?' | b','))
        }
        Check::UrlPassword => {
            let stop = end.saturating_add(2048);
            let mut i = end;
            // The user: up to the first `:`.
            loop {
                match at(i) {
                    Some(b':') => break,
                    Some(b)
                        if b.is_ascii_whitespace()
                            || b == 0x0b
                            || b"/?#@'\"`<>[]{}".contains(&b) =>
                    {
                        return false
                    }
                    Some(_) if i < stop => i += 1,
                    Some(_) => return true, // past the window: the regex decides
                    None => return false,
                }
            }
            i += 1;
            let password = i;
            loop {
                match at(i) {
                    Some(b'@') => {
                        return i > password
                            && at(i + 1).is_some_and(|b| {
                                b.is_ascii_alphanumeric() || matches!(b, b'[' | b'_' | b'-')
                            })
                    }
                    Some(b)
                        if b.is_ascii_whitespace() || b == 0x0b || b":/?#'\"`<>".contains(&b) =>
                    {
                        return false
                    }
                    Some(_) if i < stop => i += 1,
                    Some(_) => return true,
                    None => return false,
                }
            }
        }
        _ => true,
    }
}

#[allow(clippy::too_many_arguments)] // a table row, read positionally
const fn r(
    id: &'static str,
    name: &'static str,
    family: &'static str,
    keywords: &'static [&'static str],
    pattern: Pattern,
    min_entropy: f64,
    check: Check,
    prefix: &'static str,
) -> RuleDef {
    RuleDef {
        id,
        name,
        family,
        keywords,
        pattern,
        min_entropy,
        check,
        prefix,
        priority: SPECIFIC,
    }
}

const fn with_priority(mut d: RuleDef, priority: u8) -> RuleDef {
    d.priority = priority;
    d
}

use Check::{
    AuthHeader, AwsKeyId, CurlUser, Format, Generic, KubeData, Mixed, Password, PrivateKey, Strict,
    UrlPassword,
};
use Pattern::{Anchored, Assign, Raw};

const UUID: &str = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}";

/// The generic assignment: a name that ends in a credential word (one of the rule's
/// keywords), an operator, a value. The regex is the part after the word; the name's start is
/// checked by the validator, which looks back from the word.
const GENERIC_ASSIGNMENT: &str = concat!(
    // An operator, then a quoted or a bare value …
    r#"(?:\\?["'`]?[ \t]{0,5}(?:=|:=|::=|\?=|:|=>)[ \t]{0,5}"#,
    r#"(?:\\?"([^"\s\\]{6,})\\?"|'([^'\s\\]{6,})'|`([^`\s]{6,})`"#,
    r#"|([^\s"'`;,&<>(){}\[\]\\|]{8,})(?:[\s"'`;,&<>)}\]\\|]|$))"#,
    // … or a quoted pair, `getenv("API_TOKEN", "value")`: the value must be quoted too.
    r#"|\\?["']\s{0,3},[ \t]{0,5}(?:\\?"([^"\s\\]{6,})\\?"|'([^'\s\\]{6,})'))"#
);

/// The credential words of the generic rule. A name must end in one of them: `DB_PASSWORD`,
/// `apiKey`, `client-secret`, `GITHUB_TOKEN`, `secret_key_base`. They are the rule's keywords,
/// and the regex runs right after each occurrence.
const GENERIC_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "token",
    // Only after a qualifier (`api_key`, `secretKey`, `client-key`, …): the validator looks
    // back for one, so `key = …`, `public_key`, `monkey` do not count.
    "key",
    "secret_key_base",
    "credential",
    "credentials",
    "auth",
];

/// The table. Order does not matter for results (overlaps are resolved by priority, then
/// position); it only groups families for the reader.
pub(crate) static RULES: &[RuleDef] = &[
    // ---- AWS ----
    r(
        "aws-access-key-id",
        "AWS access key ID",
        "aws",
        &["akia", "asia", "abia", "acca", "a3t"],
        Raw(r"\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b"),
        3.0,
        AwsKeyId,
        "AKIA",
    ),
    r(
        "aws-secret-access-key",
        "AWS secret access key",
        "aws",
        &[
            "secret_access",
            "secretaccess",
            "secret-access",
            "aws_secret",
            "awssecret",
        ],
        Assign {
            names: r"aws_?secret_?(?:access_?)?key|secret_?access_?key|secret-access-key|aws_?secret",
            value: r"[A-Za-z0-9/+]{40}",
        },
        3.5,
        AwsKeyId,
        "",
    ),
    r(
        "aws-session-token",
        "AWS session token",
        "aws",
        &["session_token", "sessiontoken", "security_token"],
        Assign {
            names: r"aws_?session_?token|session_?token|aws_?security_?token",
            value: r"[A-Za-z0-9/+=]{100,}",
        },
        3.5,
        Format,
        "",
    ),
    r(
        "aws-bedrock-api-key",
        "Amazon Bedrock API key",
        "aws",
        &["absk", "bedrock-api-key-"],
        Raw(
            r"(?:\b(ABSKQmVkcm9ja0FQSUtleS[A-Za-z0-9+/]{90,}={0,2})|\b(bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/%=]{100,}))(?:[^A-Za-z0-9+/=]|$)",
        ),
        3.0,
        Format,
        "ABSK",
    ),
    // ---- GitHub ----
    r(
        "github-pat",
        "GitHub personal access token (classic)",
        "github",
        &["ghp_"],
        Raw(r"\bghp_[A-Za-z0-9]{36}\b"),
        3.0,
        Strict,
        "ghp_",
    ),
    r(
        "github-fine-grained-pat",
        "GitHub fine-grained personal access token",
        "github",
        &["github_pat_"],
        Raw(r"\bgithub_pat_[A-Za-z0-9_]{82}\b"),
        3.0,
        Strict,
        "github_pat_",
    ),
    r(
        "github-oauth",
        "GitHub OAuth access token",
        "github",
        &["gho_"],
        Raw(r"\bgho_[A-Za-z0-9]{36}\b"),
        3.0,
        Strict,
        "gho_",
    ),
    r(
        "github-app-token",
        "GitHub App user-to-server / server-to-server token",
        "github",
        &["ghu_", "ghs_"],
        Raw(r"\bgh[us]_[A-Za-z0-9]{36}\b"),
        3.0,
        Strict,
        "gh",
    ),
    r(
        "github-refresh-token",
        "GitHub refresh token",
        "github",
        &["ghr_"],
        Raw(r"\bghr_[A-Za-z0-9]{36,76}\b"),
        3.0,
        Strict,
        "ghr_",
    ),
    // ---- GitLab ----
    r(
        "gitlab-pat",
        "GitLab personal access token",
        "gitlab",
        &["glpat-"],
        Raw(r"\b(glpat-[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9]{9})?)(?:[^A-Za-z0-9_-]|$)"),
        3.0,
        Strict,
        "glpat-",
    ),
    r(
        "gitlab-pipeline-trigger-token",
        "GitLab pipeline trigger token",
        "gitlab",
        &["glptt-"],
        Raw(r"\b(glptt-(?:[0-9a-f]{40}|[A-Za-z0-9_-]{20,}))(?:[^A-Za-z0-9_-]|$)"),
        3.0,
        Strict,
        "glptt-",
    ),
    r(
        "gitlab-runner-token",
        "GitLab runner token",
        "gitlab",
        &["gr1348941", "glrt-"],
        Raw(
            r"\b((?:GR1348941[A-Za-z0-9_-]{20,}|glrt-(?:t\d_)?[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9]{9})?))(?:[^A-Za-z0-9_-]|$)",
        ),
        3.0,
        Strict,
        "",
    ),
    r(
        "gitlab-token",
        "GitLab deploy / feed / OAuth / agent / CI job token",
        "gitlab",
        &[
            "gldt-", "glft-", "glsoat-", "glcbt-", "glimt-", "glagent-", "gloas-", "glffct-",
        ],
        Raw(
            r"\b((?:gldt-[A-Za-z0-9_-]{20,}|glft-[A-Za-z0-9_-]{20,}|glsoat-[A-Za-z0-9_-]{20,}|glcbt-[0-9a-zA-Z]{1,5}_[A-Za-z0-9_-]{20,}|glimt-[A-Za-z0-9_-]{25,}|glagent-[A-Za-z0-9_-]{50,}|gloas-[A-Za-z0-9_-]{64,}|glffct-[A-Za-z0-9_-]{20,})(?:\.[A-Za-z0-9]{9})?)(?:[^A-Za-z0-9_-]|$)",
        ),
        3.0,
        Strict,
        "gl",
    ),
    // ---- Slack ----
    r(
        "slack-bot-token",
        "Slack bot token",
        "slack",
        &["xoxb-"],
        Raw(r"\bxoxb-[0-9]{8,14}-(?:[0-9]{10,13}-)?[A-Za-z0-9]{18,34}\b"),
        3.0,
        Strict,
        "xoxb-",
    ),
    r(
        "slack-user-token",
        "Slack user token",
        "slack",
        &["xoxp-", "xoxe-"],
        Raw(r"\b(xox[pe](?:-[0-9]{10,13}){3}-[A-Za-z0-9-]{28,34})(?:[^A-Za-z0-9-]|$)"),
        3.0,
        Strict,
        "xox",
    ),
    r(
        "slack-app-token",
        "Slack app-level token",
        "slack",
        &["xapp-"],
        Raw(r"(?i)\bxapp-\d-[A-Z0-9]+-\d+-[A-Z0-9]{20,}\b"),
        3.0,
        Strict,
        "xapp-",
    ),
    r(
        "slack-config-token",
        "Slack app configuration access / refresh token",
        "slack",
        &["xoxe.xox", "xoxe-"],
        Raw(r"(?i)\b(?:xoxe\.xox[bp]-\d-[A-Z0-9]{150,}|xoxe-\d-[A-Z0-9]{130,})\b"),
        3.0,
        Strict,
        "xoxe",
    ),
    r(
        "slack-legacy-token",
        "Slack legacy / workspace token",
        "slack",
        &["xoxa-", "xoxo-", "xoxr-", "xoxs-"],
        Raw(r"\bxox[aors]-(?:\d-)?[0-9]{4,14}(?:-[0-9]{4,14}){1,3}-[0-9A-Za-z]{8,64}\b"),
        2.5,
        Strict,
        "xox",
    ),
    r(
        "slack-webhook-url",
        "Slack incoming webhook / workflow URL",
        "slack",
        &["hooks.slack.com"],
        Raw(
            r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,60}",
        ),
        3.0,
        Format,
        "",
    ),
    // ---- Stripe ----
    // Test-mode keys (sk_test_, rk_test_) are harmless by Stripe's own account and are left
    // alone, like publishable keys (pk_).
    r(
        "stripe-secret-key",
        "Stripe live secret / restricted key",
        "stripe",
        &["sk_live_", "rk_live_", "sk_prod_", "rk_prod_"],
        Raw(r"\b[rs]k_(?:live|prod)_[A-Za-z0-9]{10,}\b"),
        3.0,
        Strict,
        "",
    ),
    r(
        "stripe-webhook-secret",
        "Stripe webhook signing secret",
        "stripe",
        &["whsec_"],
        Raw(r"\b(whsec_[A-Za-z0-9+/]{32,}={0,2})(?:[^A-Za-z0-9+/=]|$)"),
        3.0,
        Strict,
        "whsec_",
    ),
    // ---- OpenAI ----
    r(
        "openai-api-key",
        "OpenAI API key",
        "openai",
        &["t3blbkfj", "sk-proj-", "sk-svcacct-", "sk-admin-"],
        Raw(
            r"\b(sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}))(?:[^A-Za-z0-9_-]|$)",
        ),
        3.0,
        Strict,
        "sk-",
    ),
    // ---- Anthropic ----
    r(
        "anthropic-api-key",
        "Anthropic API / admin / OAuth key",
        "anthropic",
        &["sk-ant-"],
        Raw(r"\b(sk-ant-(?:api|admin|oat|ort|sid)\d\d-[A-Za-z0-9_-]{80,}AA)(?:[^A-Za-z0-9_-]|$)"),
        3.0,
        Strict,
        "sk-ant-",
    ),
    // ---- Google ----
    r(
        "gcp-api-key",
        "Google API key",
        "google",
        &["aiza"],
        Raw(r"\b(AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)"),
        3.0,
        Strict,
        "AIza",
    ),
    r(
        "gcp-service-account-key-id",
        "Google service-account private key id",
        "google",
        &["private_key_id"],
        Raw(r#""private_key_id"\s*:\s*"([0-9a-f]{40})""#),
        3.0,
        Format,
        "",
    ),
    r(
        "gcp-oauth-client-secret",
        "Google OAuth client secret",
        "google",
        &["gocspx-"],
        Raw(r"\b(GOCSPX-[A-Za-z0-9_-]{28})(?:[^A-Za-z0-9_-]|$)"),
        3.0,
        Strict,
        "GOCSPX-",
    ),
    r(
        "gcp-oauth-access-token",
        "Google OAuth access token",
        "google",
        &["ya29."],
        Raw(r"\bya29\.[0-9A-Za-z_-]{30,}"),
        3.0,
        Strict,
        "ya29.",
    ),
    // ---- Azure ----
    r(
        "azure-ad-client-secret",
        "Azure AD client secret",
        "azure",
        &["q~"],
        Raw(
            r#"(?:^|[\\'"`\s>=:(,)])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?:$|[\\'"`\s<),])"#,
        ),
        3.0,
        Strict,
        "",
    ),
    r(
        "azure-storage-account-key",
        "Azure storage account key / shared access key",
        "azure",
        &["accountkey=", "sharedaccesskey="],
        Raw(r"(?i)(?:AccountKey=([A-Za-z0-9+/]{86}==)|SharedAccessKey=([A-Za-z0-9+/]{42,44}=))"),
        3.0,
        Format,
        "",
    ),
    r(
        "azure-sas-signature",
        "Azure shared access signature",
        "azure",
        &["sig="],
        Raw(r"[?&;]sv=\d{4}-\d\d-\d\d[^\s]*?[?&;]sig=([A-Za-z0-9%+/=]{40,120})"),
        3.0,
        Format,
        "",
    ),
    // ---- Hugging Face ----
    r(
        "huggingface-access-token",
        "Hugging Face access token",
        "huggingface",
        &["hf_"],
        Raw(r"\bhf_[A-Za-z]{34}\b"),
        3.0,
        Strict,
        "hf_",
    ),
    r(
        "huggingface-org-token",
        "Hugging Face organization API token",
        "huggingface",
        &["api_org_"],
        Raw(r"\bapi_org_[A-Za-z]{34}\b"),
        3.0,
        Strict,
        "api_org_",
    ),
    // ---- npm / PyPI ----
    r(
        "npm-access-token",
        "npm access token",
        "npm",
        &["npm_"],
        Raw(r"\bnpm_[A-Za-z0-9]{36}\b"),
        3.0,
        Strict,
        "npm_",
    ),
    r(
        "npmrc-auth-token",
        "npm registry auth token in .npmrc",
        "npm",
        &["_auth"],
        Raw(r#"(?i)(?:_authToken|_auth)\s*=\s*["']?([A-Za-z0-9_.+/=-]{20,})"#),
        3.0,
        Generic,
        "",
    ),
    r(
        "pypi-upload-token",
        "PyPI upload token",
        "pypi",
        &["pypi-ageichlwas5vcmc", "pypi-agendgvzdc5wexbplm9yzw"],
        Raw(r"\bpypi-Ag(?:EIcHlwaS5vcmc|ENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,}"),
        3.0,
        Strict,
        "pypi-",
    ),
    // ---- Twilio / SendGrid / Mailgun ----
    r(
        "twilio-api-key",
        "Twilio API key",
        "twilio",
        &["sk"],
        Raw(r"\bSK[0-9a-fA-F]{32}\b"),
        3.0,
        Strict,
        "SK",
    ),
    r(
        "twilio-auth-token",
        "Twilio auth token",
        "twilio",
        &["twilio"],
        Assign {
            names: "twilio",
            value: "[0-9a-f]{32}",
        },
        3.0,
        Format,
        "",
    ),
    r(
        "sendgrid-api-key",
        "SendGrid API key",
        "sendgrid",
        &["sg."],
        Raw(r"\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)"),
        3.0,
        Strict,
        "SG.",
    ),
    r(
        "mailgun-api-key",
        "Mailgun private API key",
        "mailgun",
        &["key-"],
        Raw(r"\bkey-[0-9a-z]{32}\b"),
        3.0,
        Strict,
        "key-",
    ),
    r(
        "mailgun-signing-key",
        "Mailgun API / webhook signing key",
        "mailgun",
        &["mailgun"],
        Assign {
            names: "mailgun",
            value: "[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}|key-[0-9a-z]{32}|[0-9a-z]{32}",
        },
        3.0,
        Format,
        "",
    ),
    // ---- DigitalOcean / Heroku / Datadog / Shopify ----
    r(
        "digitalocean-token",
        "DigitalOcean access / OAuth / refresh token",
        "digitalocean",
        &["dop_v1_", "doo_v1_", "dor_v1_"],
        Raw(r"\bdo[opr]_v1_[a-f0-9]{64}\b"),
        3.0,
        Strict,
        "do",
    ),
    r(
        "heroku-api-key",
        "Heroku API key",
        "heroku",
        &["hrku-"],
        Raw(r"\bHRKU-[A-Za-z0-9_-]{40,80}"),
        3.0,
        Format,
        "HRKU-",
    ),
    r(
        "heroku-api-key-legacy",
        "Heroku API key (UUID form)",
        "heroku",
        &["heroku"],
        Assign {
            names: "heroku",
            value: UUID,
        },
        3.0,
        Format,
        "",
    ),
    r(
        "datadog-api-key",
        "Datadog API / application key",
        "datadog",
        &["datadog", "dd_api", "dd_app", "dd_client", "ddog"],
        Assign {
            names: r"datadog|dd_api|dd_app|dd_client|ddog",
            value: "[a-f0-9]{40}|[a-f0-9]{32}",
        },
        3.0,
        Format,
        "",
    ),
    r(
        "shopify-token",
        "Shopify access / custom app / private app token or shared secret",
        "shopify",
        &["shpat_", "shpca_", "shppa_", "shpss_"],
        Raw(r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
        3.0,
        Strict,
        "shp",
    ),
    // ---- Discord / Telegram ----
    r(
        "discord-bot-token",
        "Discord bot token",
        "discord",
        &["discord", "bot"],
        Raw(
            r"\b([MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40})(?:[^A-Za-z0-9_-]|$)",
        ),
        3.5,
        Strict,
        "",
    ),
    r(
        "discord-webhook-url",
        "Discord webhook URL",
        "discord",
        &["discord"],
        Raw(r"discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/([A-Za-z0-9_-]{60,68})"),
        3.0,
        Format,
        "",
    ),
    r(
        "telegram-bot-token",
        "Telegram bot token",
        "telegram",
        &[":aa"],
        Raw(r"(?:^|[^0-9A-Za-z]|bot)([0-9]{8,10}:AA[A-Za-z0-9_-]{33})(?:[^A-Za-z0-9_-]|$)"),
        3.0,
        Strict,
        "",
    ),
    // ---- Private keys, JWT ----
    r(
        "private-key",
        "Private key (PEM, OpenSSH, PGP)",
        "private-key",
        &["private key"],
        // The header, optional RFC 1421 headers (Proc-Type, DEK-Info), a base64 body of real
        // length, the footer. An unterminated block (truncated output) is still covered up to
        // where its base64 ends. `\\n` accepts keys inside JSON strings.
        Raw(concat!(
            r"-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----",
            r"(?:(?:\s|\\[rn])+[A-Za-z-]+:[^\r\n\\]*)*",
            r"(?:\s|\\[rn])+[A-Za-z0-9+/=]{40,}(?:(?:\s|\\[rn])+[A-Za-z0-9+/=]+)*",
            r"(?:(?:\s|\\[rn])*-----END[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----)?"
        )),
        0.0,
        PrivateKey,
        "",
    ),
    r(
        "putty-private-key",
        "PuTTY private key (Private-Lines)",
        "private-key",
        &["putty-user-key-file"],
        // The header, up to a dozen header lines, then the base64 lines counted by
        // `Private-Lines:` (the key itself); the public lines and comment stay visible.
        Raw(concat!(
            r"PuTTY-User-Key-File-\d:[^\n]*\n(?:[^\n]*\n){0,12}?",
            r"Private-Lines:[ \t]*\d+[ \t]*\r?\n((?:[A-Za-z0-9+/=]+(?:\r?\n|$))+)"
        )),
        0.0,
        PrivateKey,
        "",
    ),
    r(
        "netrc-password",
        "Password in a .netrc / _netrc entry",
        "netrc",
        &["machine"],
        // A `machine` entry at a line start, or at the start of a quoted string (the file's
        // content as a JSON or YAML value); `login`, `port`, `password` follow on the same
        // line or on indented continuation lines, as netrc files are written.
        Raw(concat!(
            r#"(?m)(?:^|["'])[ \t]*machine[ \t]+\S+"#,
            r"(?:(?:[ \t]+|[ \t]*\r?\n[ \t]+)(?:login|port|account)[ \t]+\S+){0,3}",
            r#"(?:[ \t]+|[ \t]*\r?\n[ \t]+)password[ \t]+([^\s"'`]+)"#
        )),
        3.0,
        Password,
        "",
    ),
    r(
        "jwt",
        "JSON Web Token",
        "jwt",
        &["eyj"],
        Raw(
            r"\beyJ[A-Za-z0-9_-]{10,}={0,2}\.eyJ[A-Za-z0-9_-]{10,}={0,2}\.(?:[A-Za-z0-9_-]{10,}={0,2})?",
        ),
        3.0,
        Format,
        "",
    ),
    // ---- Other formats with a fixed prefix (gitleaks families beyond the issue's list) ----
    r(
        "1password-service-account-token",
        "1Password service account token",
        "1password",
        &["ops_eyj"],
        Raw(r"\bops_eyJ[A-Za-z0-9+/]{250,}={0,3}"),
        3.5,
        Strict,
        "ops_",
    ),
    r(
        "1password-secret-key",
        "1Password account secret key",
        "1password",
        &["a3-"],
        Raw(
            r"\bA3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}\b",
        ),
        3.0,
        Strict,
        "A3-",
    ),
    r(
        "vault-token",
        "HashiCorp Vault service / batch token",
        "vault",
        &["hvs.", "hvb."],
        Raw(r"\bhv[sb]\.[A-Za-z0-9_-]{90,}"),
        3.5,
        Strict,
        "hv",
    ),
    r(
        "vault-token-legacy",
        "HashiCorp Vault service token (legacy s. form)",
        "vault",
        &["vault", "token"],
        Raw(r"(?:^|[^A-Za-z0-9_.])(s\.[A-Za-z0-9]{24})(?:[^A-Za-z0-9_.]|$)"),
        3.5,
        Mixed,
        "s.",
    ),
    r(
        "terraform-cloud-token",
        "Terraform Cloud / HCP API token",
        "hashicorp",
        &[".atlasv1."],
        Raw(r"\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}"),
        3.5,
        Strict,
        "",
    ),
    r(
        "databricks-token",
        "Databricks API token",
        "databricks",
        &["dapi"],
        Raw(r"\bdapi[a-f0-9]{32}(?:-\d)?\b"),
        3.0,
        Strict,
        "dapi",
    ),
    r(
        "grafana-token",
        "Grafana cloud / service account token",
        "grafana",
        &["glc_", "glsa_"],
        Raw(r"\b(?:glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})"),
        3.0,
        Strict,
        "gl",
    ),
    r(
        "notion-token",
        "Notion integration token",
        "notion",
        &["ntn_", "secret_"],
        Raw(r"\b(?:ntn_[0-9]{11}[A-Za-z0-9]{32}[A-Za-z0-9]{3}|secret_[A-Za-z0-9]{43})\b"),
        3.0,
        Strict,
        "",
    ),
    r(
        "sentry-token",
        "Sentry organization / user token",
        "sentry",
        &["sntrys_", "sntryu_"],
        Raw(r"\b(?:sntrys_eyJ[A-Za-z0-9+/=]{60,}_[A-Za-z0-9+/]{43}|sntryu_[a-f0-9]{64})"),
        3.0,
        Strict,
        "sntry",
    ),
    r(
        "sourcegraph-token",
        "Sourcegraph access token",
        "sourcegraph",
        &["sgp_"],
        Raw(r"\bsgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}\b"),
        3.0,
        Strict,
        "sgp_",
    ),
    r(
        "sourcegraph-token-legacy",
        "Sourcegraph access token (hex form)",
        "sourcegraph",
        &["sourcegraph"],
        Assign {
            names: "sourcegraph",
            value: "[a-fA-F0-9]{40}",
        },
        3.0,
        Format,
        "",
    ),
    r(
        "square-token",
        "Square access token / OAuth secret",
        "square",
        &["sq0atp-", "sq0csp-", "eaaa"],
        Raw(
            r"\b((?:sq0atp-[A-Za-z0-9_-]{22}|sq0csp-[A-Za-z0-9_-]{43}|EAAA[A-Za-z0-9_+=-]{56,64}))(?:[^A-Za-z0-9_+=-]|$)",
        ),
        3.0,
        Strict,
        "sq0",
    ),
    r(
        "flyio-token",
        "Fly.io access token",
        "flyio",
        &["fo1_", "fm1", "fm2_", "flyv1"],
        Raw(r"\b(?:fo1_[A-Za-z0-9_-]{43}|(?:FlyV1 )?fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3})"),
        3.5,
        Strict,
        "",
    ),
    r(
        "openshift-token",
        "OpenShift user token",
        "openshift",
        &["sha256~"],
        Raw(r"\b(sha256~[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)"),
        3.5,
        Strict,
        "sha256~",
    ),
    r(
        "facebook-page-token",
        "Facebook / Meta access token",
        "facebook",
        &["eaa"],
        Raw(r"\bEAA[MC][A-Za-z0-9]{100,}"),
        3.5,
        Strict,
        "EAA",
    ),
    r(
        "mailchimp-api-key",
        "Mailchimp API key",
        "mailchimp",
        &["-us"],
        Raw(r"\b[0-9a-f]{32}-us[0-9]{1,2}\b"),
        3.0,
        Strict,
        "",
    ),
    r(
        "octopus-deploy-api-key",
        "Octopus Deploy API key",
        "octopus",
        &["api-"],
        Raw(r"\bAPI-[A-Z0-9]{26}\b"),
        3.0,
        Strict,
        "API-",
    ),
    r(
        "cloudflare-api-key",
        "Cloudflare API token / global API key",
        "cloudflare",
        &["cloudflare"],
        Assign {
            names: "cloudflare",
            value: "[A-Za-z0-9_-]{40}|[a-f0-9]{37}",
        },
        3.0,
        Format,
        "",
    ),
    r(
        "cloudflare-origin-ca-key",
        "Cloudflare Origin CA key",
        "cloudflare",
        &["v1.0-"],
        Raw(r"\bv1\.0-[a-f0-9]{24}-[a-f0-9]{146}\b"),
        3.0,
        Format,
        "v1.0-",
    ),
    r(
        "sumologic-access-key",
        "Sumo Logic access id / key",
        "sumologic",
        &["sumo"],
        Assign {
            names: r"sumo(?:logic)?[_.-]?access[_.-]?(?:id|key)",
            value: "su[A-Za-z0-9]{12}|[A-Za-z0-9]{64}",
        },
        3.0,
        Format,
        "",
    ),
    r(
        "snyk-api-token",
        "Snyk API token",
        "snyk",
        &["snyk"],
        Assign {
            names: "snyk",
            value: UUID,
        },
        3.0,
        Format,
        "",
    ),
    r(
        "sonar-api-token",
        "SonarQube / SonarCloud token",
        "sonar",
        &["sonar"],
        Assign {
            names: "sonar",
            value: "(?:squ_|sqp_|sqa_)?[A-Za-z0-9]{40}",
        },
        3.0,
        Format,
        "",
    ),
    r(
        "okta-api-token",
        "Okta API token",
        "okta",
        &["okta"],
        Assign {
            names: "okta",
            value: "00[A-Za-z0-9_-]{40}",
        },
        3.5,
        Format,
        "",
    ),
    r(
        "sidekiq-credentials",
        "Sidekiq Pro / Enterprise gem credentials",
        "sidekiq",
        &["contribsys__com"],
        Raw(
            r#"(?i)BUNDLE_(?:ENTERPRISE|GEMS)__CONTRIBSYS__COM[ \t]*[:=][ \t]*["']?([a-f0-9]{8}:[a-f0-9]{8})"#,
        ),
        0.0,
        Format,
        "",
    ),
    r(
        "facebook-app-secret",
        "Facebook app secret / client token",
        "facebook",
        &["facebook"],
        Assign {
            names: "facebook",
            value: "[a-f0-9]{32}",
        },
        3.0,
        Format,
        "",
    ),
    r(
        "facebook-app-access-token",
        "Facebook app access token (app id|secret)",
        "facebook",
        &["facebook", "access_token", "fb_"],
        Raw(r"\b([0-9]{15,16}(?:\||%7[Cc])[0-9A-Za-z_-]{27,40})(?:[^0-9A-Za-z_-]|$)"),
        3.0,
        Format,
        "",
    ),
    r(
        "hubspot-api-key",
        "HubSpot API key",
        "hubspot",
        &["hubspot"],
        Assign {
            names: "hubspot",
            value: UUID,
        },
        3.0,
        Format,
        "",
    ),
    r(
        "messagebird-key",
        "MessageBird API key / client id",
        "messagebird",
        &["messagebird", "message_bird", "message-bird"],
        Assign {
            names: r"message[_-]?bird",
            value: r"[A-Za-z0-9]{25}|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}",
        },
        3.0,
        Format,
        "",
    ),
    r(
        "infracost-api-token",
        "Infracost API token",
        "infracost",
        &["ico-"],
        Raw(r"(?:^|[^.\w])(ico-[A-Za-z0-9]{32})\b"),
        3.0,
        Strict,
        "ico-",
    ),
    r(
        "scalingo-api-token",
        "Scalingo API token",
        "scalingo",
        &["tk-us-"],
        Raw(r"\b(tk-us-[A-Za-z0-9_-]{48})(?:[^A-Za-z0-9_-]|$)"),
        3.0,
        Strict,
        "tk-us-",
    ),
    r(
        "intra42-client-secret",
        "42 Intra client secret",
        "intra42",
        &["s-s4t2"],
        Raw(r"\bs-s4t2(?:ud|af)-[a-f0-9]{64}\b"),
        3.0,
        Strict,
        "s-s4t2",
    ),
    r(
        "atlassian-api-token",
        "Atlassian / Jira / Confluence API token",
        "atlassian",
        &["atlassian", "confluence", "jira", "atatt3"],
        Assign {
            names: "atlassian|confluence|jira",
            value: "ATATT3[A-Za-z0-9_=-]{180,}|[A-Za-z0-9]{24}",
        },
        3.0,
        Format,
        "",
    ),
    r(
        "nuget-config-password",
        "Clear-text password in nuget.config",
        "nuget",
        &["cleartextpassword", "key=\"password\""],
        Raw(r#"(?i)<add\s+key="(?:ClearText)?Password"\s+value="([^"]{6,})""#),
        0.0,
        Password,
        "",
    ),
    with_priority(
        r(
            "kubernetes-secret-data",
            "Value in a Kubernetes Secret's data / stringData",
            "kubernetes",
            &[
                "kind: secret",
                "kind: 'secret'",
                "kind: \"secret\"",
                "\"kind\": \"secret\"",
                "\"kind\":\"secret\"",
                "kind:secret",
            ],
            // A `data:` key that opens a block (YAML newline or JSON brace); the values are
            // split out by `kube::values`, and only inside a `kind: Secret` document.
            Raw(r#"(?:^|[\s{,])["']?(?:data|stringData)["']?[ \t]*:[ \t]*(\r?\n|\{)"#),
            0.0,
            KubeData,
            "",
        ),
        STRUCTURAL,
    ),
    r(
        "age-secret-key",
        "age encryption secret key",
        "private-key",
        &["age-secret-key-1"],
        Raw(r"\bAGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}\b"),
        3.0,
        Strict,
        "AGE-SECRET-KEY-1",
    ),
    // ---- More providers (prefix formats from each provider's token documentation; gitleaks' rules
    // for the facts) ----
    // A keyword need not be the prefix, only in every match: where a prefix's first pairs of
    // bytes are common in prose and code (`fi`, `ts`, `ru`, `pl`), a rarer inner piece is the
    // keyword (`o-u-`, `skey-`, `ygems_`, `lx-`), since the keyword scan tests each keyword's
    // first and second byte pairs wherever they occur. Formats whose only fixed part is common
    // (Airtable `pat…`, Harness `pat.`, Resend `re_`, Render `rnd_`) are left to the generic rule.
    r(
        "atlassian-api-token-bare",
        "Atlassian API token (bare ATATT3 form)",
        "atlassian",
        &["atatt3"],
        Raw(r"\b(ATATT3[A-Za-z0-9_=-]{150,250})(?:[^A-Za-z0-9_=-]|$)"),
        3.0,
        Strict,
        "ATATT3",
    ),
    r(
        "postman-api-token",
        "Postman API key",
        "postman",
        &["pmak-"],
        Raw(r"\b(PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34})\b"),
        3.0,
        Strict,
        "PMAK-",
    ),
    r(
        "linear-api-key",
        "Linear API key",
        "linear",
        &["lin_api_"],
        Raw(r"\b(lin_api_[A-Za-z0-9]{40})\b"),
        3.0,
        Strict,
        "lin_api_",
    ),
    r(
        "doppler-token",
        "Doppler token",
        "doppler",
        &[
            "dp.pt.",
            "dp.st.",
            "dp.ct.",
            "dp.sa.",
            "dp.scim.",
            "dp.audit.",
        ],
        Raw(r"\b(dp\.(?:pt|st|ct|sa|scim|audit)\.(?:[a-z0-9_-]{1,40}\.)?[A-Za-z0-9]{40,44})\b"),
        3.0,
        Strict,
        "dp.",
    ),
    r(
        "pulumi-access-token",
        "Pulumi access token",
        "pulumi",
        &["pul-"],
        Raw(r"\b(pul-[a-f0-9]{40})\b"),
        3.0,
        Strict,
        "pul-",
    ),
    r(
        "supabase-token",
        "Supabase access token / secret key",
        "supabase",
        &["sbp_", "sb_secret_"],
        Raw(r"\b(sbp_(?:oauth_)?[a-f0-9]{40}|sb_secret_[A-Za-z0-9_-]{31,64})(?:[^A-Za-z0-9_-]|$)"),
        3.0,
        Strict,
        "sb",
    ),
    r(
        "newrelic-key",
        "New Relic user API key / insert key",
        "newrelic",
        // `ak-`, not `nrak-`: the keyword scan tests each keyword's second and third bytes
        // wherever they occur, and `ra` is in every `crate` and `parameter` (+0.2 M
        // instructions on a 15 KB build log). The license key (36 hex + `NRAL`) has no such
        // keyword: it is left to the generic rule (`NEW_RELIC_LICENSE_KEY=…`).
        &["ak-", "nrii-"],
        Raw(r"\b(NRAK-[A-Z0-9]{27}|NRII-[A-Za-z0-9_-]{32})(?:[^A-Za-z0-9_-]|$)"),
        3.0,
        Strict,
        "",
    ),
    r(
        "dynatrace-api-token",
        "Dynatrace API token",
        "dynatrace",
        &["dt0"],
        Raw(r"\b(dt0[a-z][0-9]{2}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64})\b"),
        3.0,
        Strict,
        "dt0",
    ),
    r(
        "easypost-api-key",
        "EasyPost API key",
        "easypost",
        &["ezak", "eztk"],
        Raw(r"\b(EZ[AT]K[A-Za-z0-9]{54})\b"),
        3.0,
        Strict,
        "EZ",
    ),
    r(
        "flutterwave-secret-key",
        "Flutterwave secret / encryption key",
        "flutterwave",
        &["flwseck"],
        Raw(r"\b(FLWSECK(?:_TEST)?-[a-fA-F0-9]{32}-X|FLWSECK_TEST[a-fA-F0-9]{12})\b"),
        3.0,
        Strict,
        "FLWSECK",
    ),
    r(
        "frameio-api-token",
        "Frame.io developer token",
        "frameio",
        &["o-u-"],
        Raw(r"\b(fio-u-[A-Za-z0-9_=-]{64})(?:[^A-Za-z0-9_=-]|$)"),
        3.0,
        Strict,
        "fio-u-",
    ),
    r(
        "adobe-client-secret",
        "Adobe client secret",
        "adobe",
        &["p8e-"],
        Raw(r"\b(p8e-[A-Za-z0-9]{32})\b"),
        3.0,
        Strict,
        "p8e-",
    ),
    r(
        "alibaba-access-key-id",
        "Alibaba Cloud AccessKey ID",
        "alibaba",
        &["ltai"],
        Raw(r"\b(LTAI[A-Za-z0-9]{12,20})\b"),
        3.0,
        Strict,
        "LTAI",
    ),
    r(
        "clojars-api-token",
        "Clojars deploy token",
        "clojars",
        &["clojars_"],
        Raw(r"\b(CLOJARS_[a-z0-9]{60})\b"),
        3.0,
        Strict,
        "CLOJARS_",
    ),
    r(
        "defined-networking-api-token",
        "Defined Networking API token",
        "defined-networking",
        &["dnkey-"],
        Raw(r"\b(dnkey-[A-Za-z0-9=_-]{26}-[A-Za-z0-9=_-]{52})(?:[^A-Za-z0-9=_-]|$)"),
        3.0,
        Strict,
        "dnkey-",
    ),
    r(
        "duffel-api-token",
        "Duffel API token",
        "duffel",
        &["duffel_"],
        Raw(r"\b(duffel_(?:test|live)_[A-Za-z0-9_=-]{43})(?:[^A-Za-z0-9_=-]|$)"),
        3.0,
        Strict,
        "duffel_",
    ),
    r(
        "planetscale-token",
        "PlanetScale password / token",
        "planetscale",
        &["pscale_"],
        Raw(
            r"\b(pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_=.-]{31,63}[A-Za-z0-9_=-])(?:[^A-Za-z0-9_=-]|$)",
        ),
        3.0,
        Strict,
        "pscale_",
    ),
    r(
        "prefect-api-key",
        "Prefect API key",
        "prefect",
        &["pnu_"],
        Raw(r"\b(pnu_[A-Za-z0-9]{36})\b"),
        3.0,
        Strict,
        "pnu_",
    ),
    r(
        "readme-api-token",
        "ReadMe API key",
        "readme",
        &["dme_"],
        Raw(r"\b(rdme_[a-z0-9]{70})\b"),
        3.0,
        Strict,
        "rdme_",
    ),
    r(
        "rubygems-api-token",
        "RubyGems API key",
        "rubygems",
        &["ygems_"],
        Raw(r"\b(rubygems_[a-f0-9]{48})\b"),
        3.0,
        Strict,
        "rubygems_",
    ),
    r(
        "brevo-api-key",
        "Brevo (Sendinblue) API / SMTP key",
        "brevo",
        &["xkeysib-", "xsmtpsib-"],
        Raw(r"\b(x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16})\b"),
        3.0,
        Strict,
        "x",
    ),
    r(
        "settlemint-token",
        "SettleMint access token",
        "settlemint",
        &["sm_pat_", "sm_aat_", "sm_sat_"],
        Raw(r"\b(sm_(?:pat|aat|sat)_[A-Za-z0-9]{16})\b"),
        3.0,
        Strict,
        "sm_",
    ),
    r(
        "shippo-api-token",
        "Shippo API token",
        "shippo",
        &["shippo_"],
        Raw(r"\b(shippo_(?:live|test)_[a-fA-F0-9]{40})\b"),
        3.0,
        Strict,
        "shippo_",
    ),
    r(
        "typeform-api-token",
        "Typeform personal access token",
        "typeform",
        &["tfp_"],
        Raw(r"\b(tfp_[A-Za-z0-9_.=-]{58}[A-Za-z0-9_=-])(?:[^A-Za-z0-9_=-]|$)"),
        3.0,
        Strict,
        "tfp_",
    ),
    r(
        "groq-api-key",
        "Groq API key",
        "groq",
        &["gsk_"],
        Raw(r"\b(gsk_[A-Za-z0-9]{52})\b"),
        3.0,
        Strict,
        "gsk_",
    ),
    r(
        "xai-api-key",
        "xAI API key",
        "xai",
        &["xai-"],
        Raw(r"\b(xai-[A-Za-z0-9]{80})\b"),
        3.0,
        Strict,
        "xai-",
    ),
    r(
        "perplexity-api-key",
        "Perplexity API key",
        "perplexity",
        &["lx-"],
        Raw(r"\b(pplx-[A-Za-z0-9]{48})\b"),
        3.0,
        Strict,
        "pplx-",
    ),
    r(
        "replicate-api-token",
        "Replicate API token",
        "replicate",
        &["r8_"],
        Raw(r"\b(r8_[A-Za-z0-9]{37})\b"),
        3.0,
        Strict,
        "r8_",
    ),
    r(
        "langsmith-api-key",
        "LangSmith API key",
        "langchain",
        &["lsv2_"],
        Raw(r"\b(lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})\b"),
        3.0,
        Strict,
        "lsv2_",
    ),
    r(
        "tavily-api-key",
        "Tavily API key",
        "tavily",
        &["tvly-"],
        Raw(r"\b(tvly-(?:dev-|prod-)?[A-Za-z0-9]{32})\b"),
        3.0,
        Strict,
        "tvly-",
    ),
    r(
        "dockerhub-token",
        "Docker Hub access token",
        "docker",
        &["kr_"],
        Raw(r"\b(dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,32})(?:[^A-Za-z0-9_-]|$)"),
        3.0,
        Strict,
        "dckr_",
    ),
    r(
        "buildkite-api-token",
        "Buildkite API token",
        "buildkite",
        &["bkua_"],
        Raw(r"\b(bkua_[a-f0-9]{40})\b"),
        3.0,
        Strict,
        "bkua_",
    ),
    r(
        "figma-token",
        "Figma personal access token",
        "figma",
        &["igd_"],
        Raw(r"\b(figd_[A-Za-z0-9_-]{38,44})(?:[^A-Za-z0-9_-]|$)"),
        3.0,
        Strict,
        "figd_",
    ),
    r(
        "tailscale-key",
        "Tailscale auth / API key",
        "tailscale",
        &["skey-"],
        Raw(r"\b(tskey-(?:api|auth|client|scim|webhook)-[A-Za-z0-9]{6,20}-[A-Za-z0-9]{20,40})\b"),
        3.0,
        Strict,
        "tskey-",
    ),
    r(
        "neon-api-key",
        "Neon API key",
        "neon",
        &["napi_"],
        Raw(r"\b(napi_[a-z0-9]{64})\b"),
        3.0,
        Strict,
        "napi_",
    ),
    r(
        "netlify-token",
        "Netlify access token",
        "netlify",
        &["nfp_", "nfc_", "nfo_"],
        Raw(r"\b(nf[pco]_[A-Za-z0-9]{36,40})\b"),
        3.0,
        Strict,
        "nf",
    ),
    r(
        "pinecone-api-key",
        "Pinecone API key",
        "pinecone",
        &["pcsk_"],
        Raw(r"\b(pcsk_[A-Za-z0-9]{4,8}_[A-Za-z0-9]{40,80})\b"),
        3.0,
        Strict,
        "pcsk_",
    ),
    r(
        "braintree-access-token",
        "Braintree access token",
        "braintree",
        &["access_token$"],
        Raw(r"\b(access_token\$(?:production|sandbox)\$[a-z0-9]{16}\$[a-f0-9]{32})\b"),
        3.0,
        Strict,
        "access_token$",
    ),
    r(
        "mapbox-secret-token",
        "Mapbox secret access token",
        "mapbox",
        &["sk.eyj"],
        Raw(r"\b(sk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,})(?:[^A-Za-z0-9_-]|$)"),
        3.0,
        Strict,
        "sk.",
    ),
    r(
        "dropbox-access-token",
        "Dropbox short-lived access token",
        "dropbox",
        &["sl."],
        Raw(r"\b(sl\.(?:u\.)?[A-Za-z0-9_=-]{130,})(?:[^A-Za-z0-9_=-]|$)"),
        3.0,
        Strict,
        "sl.",
    ),
    r(
        "salesforce-access-token",
        "Salesforce access token",
        "salesforce",
        &["00d"],
        Raw(r"\b(00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{79,}[A-Za-z0-9_])"),
        3.0,
        Strict,
        "00D",
    ),
    r(
        "jfrog-token",
        "JFrog API key / reference token",
        "jfrog",
        &["akcp", "cmvmdgtu"],
        Raw(r"\b(AKCp[A-Za-z0-9]{69}|cmVmdGtuOjAxOj[A-Za-z0-9]{50,})\b"),
        3.0,
        Strict,
        "",
    ),
    r(
        "contentful-token",
        "Contentful personal access token",
        "contentful",
        &["cfpat-"],
        Raw(r"\b(CFPAT-[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)"),
        3.0,
        Strict,
        "CFPAT-",
    ),
    r(
        "msteams-webhook-url",
        "Microsoft Teams incoming webhook URL",
        "microsoft",
        &["webhookb2"],
        Raw(
            r"(https://[A-Za-z0-9-]+\.webhook\.office\.com/webhookb2/[a-f0-9-]{36}@[a-f0-9-]{36}/IncomingWebhook/[A-Za-z0-9]{32}/[a-f0-9-]{36}(?:/[A-Za-z0-9_-]+)?)",
        ),
        3.0,
        Format,
        "",
    ),
    r(
        "zapier-webhook-url",
        "Zapier catch hook URL",
        "zapier",
        &["hooks.zapier.com"],
        Raw(r"(https://hooks\.zapier\.com/hooks/catch/[0-9]{5,10}/[a-z0-9]{6,8}/?)"),
        0.0,
        Format,
        "",
    ),
    // ---- Structural: URLs, curl, headers ----
    with_priority(
        r(
            "url-password",
            "Password embedded in a URL",
            "url-credentials",
            &["://"],
            // After "://": user, ':', password, '@', a host character. The scheme before the
            // keyword and the field lengths are checked by the validator.
            Anchored(r#"[^\s:/?#@'"`<>\[\]{}]*:([^\s:/?#@'"`<>]+)@[A-Za-z0-9\[_-]"#),
            0.0,
            UrlPassword,
            "",
        ),
        STRUCTURAL,
    ),
    with_priority(
        r(
            "curl-user-password",
            "Credentials passed to curl -u / --user",
            "curl-auth",
            &["curl"],
            Raw(
                r#"\bcurl\b(?:\\\r?\n|[^\r\n])*?\s(?:-u|--user)[ \t]*["']?([^\s"']{0,100}["']?:["']?[^\s"']{0,100})"#,
            ),
            0.0,
            CurlUser,
            "",
        ),
        STRUCTURAL,
    ),
    with_priority(
        r(
            "authorization-header",
            "Credential in an Authorization header",
            "auth-header",
            &["authorization"],
            Raw(
                r#"(?i)\bauthorization\\?["']?\s*[:=]\s*\\?["']?(?:(?:bearer|basic|token|api-token|apikey|digest|bot)\s+)?([A-Za-z0-9+/=._~@-]{8,})"#,
            ),
            0.0,
            AuthHeader,
            "",
        ),
        STRUCTURAL,
    ),
    // ---- Generic ----
    with_priority(
        r(
            "generic-secret",
            "Credential-looking assignment (password, secret, token, API key)",
            "generic",
            GENERIC_WORDS,
            Anchored(GENERIC_ASSIGNMENT),
            0.0, // entropy is gated in validate::generic_ok, per alphabet
            Generic,
            "",
        ),
        GENERIC,
    ),
];
