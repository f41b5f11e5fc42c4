//! Table-driven tests per rule family (positive, negative, placeholder), the API's contracts,
//! and the property that redaction leaves no detected secret behind.
//!
//! The sample secrets below are made up for these tests (random characters in the right
//! format); none is a live credential.

use super::*;
use proptest::prelude::*;

/// The JSON walks live at the protocol's edge (`crate::input::Json`); these tests call them on
/// plain JSON values.
trait JsonWalks {
    fn redact_json(&self, v: &mut serde_json::Value) -> Vec<Finding>;
    fn json_has_secrets(&self, v: &serde_json::Value) -> bool;
}

impl JsonWalks for Detector {
    fn redact_json(&self, v: &mut serde_json::Value) -> Vec<Finding> {
        let mut json = crate::input::Json::from(std::mem::take(v));
        let found = json.redact(self);
        *v = json.into_value();
        found
    }
    fn json_has_secrets(&self, v: &serde_json::Value) -> bool {
        crate::input::Json::from(v.clone()).has_secrets(self)
    }
}

fn ids(text: &str) -> Vec<String> {
    builtin()
        .find(text)
        .iter()
        .map(|f| f.rule_id.to_string())
        .collect()
}

/// `text` must produce a finding of `rule` whose span is exactly `secret`.
fn assert_found(rule: &str, text: &str, secret: &str) {
    let found = builtin().find(text);
    assert!(
        found
            .iter()
            .any(|f| &*f.rule_id == rule && &text[f.range.clone()] == secret),
        "expected {rule} to find {secret:?} in {text:?}, got {:?}",
        found
            .iter()
            .map(|f| (f.rule_id.to_string(), &text[f.range.clone()]))
            .collect::<Vec<_>>()
    );
}

fn assert_clean(text: &str) {
    let found = builtin().find(text);
    assert!(
        found.is_empty(),
        "expected nothing in {text:?}, got {:?}",
        found
            .iter()
            .map(|f| (f.rule_id.to_string(), &text[f.range.clone()]))
            .collect::<Vec<_>>()
    );
}

/// (rule id, text, the secret inside it) — one or more per family.
const POSITIVES: &[(&str, &str, &str)] = &[
    // aws
    ("aws-access-key-id", "key: AKIA29326ML64LG2TJF8", "AKIA29326ML64LG2TJF8"),
    ("aws-access-key-id", "AWS_ACCESS_KEY_ID=ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A"),
    (
        "aws-secret-access-key",
        "aws_secret_access_key = wJa1rXUtnFEMI/K7MDENG/bPxRfiCYz9Q3vKLmXw",
        "wJa1rXUtnFEMI/K7MDENG/bPxRfiCYz9Q3vKLmXw",
    ),
    (
        "aws-secret-access-key",
        r#""SecretAccessKey": "9drTJvcXLB89Qw7KELB8923FB892xMFI3kd0wqZr","#,
        "9drTJvcXLB89Qw7KELB8923FB892xMFI3kd0wqZr",
    ),
    // github
    (
        "github-pat",
        "GITHUB_TOKEN=ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO",
        "ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO",
    ),
    ("github-oauth", "gho_16C7e42F292c6912E7710c838347Ae178B4a", "gho_16C7e42F292c6912E7710c838347Ae178B4a"),
    ("github-app-token", "token ghs_4dJ0qBm8yWmQx3Tk9Lz2Rv7Nc5Hf1Gp6Sa0E", "ghs_4dJ0qBm8yWmQx3Tk9Lz2Rv7Nc5Hf1Gp6Sa0E"),
    ("github-refresh-token", "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498", "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498"),
    (
        "github-fine-grained-pat",
        "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",
        "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",
    ),
    // gitlab
    ("gitlab-pat", "glpat-Qm3xYz8K1vLp0RtN4sWd", "glpat-Qm3xYz8K1vLp0RtN4sWd"),
    ("gitlab-runner-token", "GR1348941aB3dE5fG7hJ9kL1mN3pQ", "GR1348941aB3dE5fG7hJ9kL1mN3pQ"),
    ("gitlab-pipeline-trigger-token", "glptt-0f3a9c2e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39", "glptt-0f3a9c2e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39"),
    // slack
    (
        "slack-user-token",
        "key: xoxp-470174681453-840191614610-033076661934-a29a0d347301ef56e64dc3cd6089065c",
        "xoxp-470174681453-840191614610-033076661934-a29a0d347301ef56e64dc3cd6089065c",
    ),
    ("slack-bot-token", "xoxb-263594206564-FGqddMF8t08v8N7Oq4i57vs1", "xoxb-263594206564-FGqddMF8t08v8N7Oq4i57vs1"),
    (
        "slack-webhook-url",
        "url=https://hooks.slack.com/services/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",
        "https://hooks.slack.com/services/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",
    ),
    (
        "slack-app-token",
        "xapp-1-A052FGTS2DL-5171572773297-610b6a11f4b7eb819e87b767d80e6575a3634791acb9a9ead051da879eb5b55e",
        "xapp-1-A052FGTS2DL-5171572773297-610b6a11f4b7eb819e87b767d80e6575a3634791acb9a9ead051da879eb5b55e",
    ),
    // stripe
    ("stripe-secret-key", "key: sk_live_2MPKgcjnCqaXNv1syeefnLOpaMxxND", "sk_live_2MPKgcjnCqaXNv1syeefnLOpaMxxND"),
    ("stripe-secret-key", "rk_live_51H8dKq2eZvKYlo2C0a8tNbX4", "rk_live_51H8dKq2eZvKYlo2C0a8tNbX4"),
    // openai / anthropic
    (
        "openai-api-key",
        "OPENAI_API_KEY=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",
        "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",
    ),
    (
        "openai-api-key",
        "sk-proj-q9rXxtNDFyuzX9k1gnneGEYG1LwiqD9jJBAciI05FhfwKVqlUr5Qrec8TNecj9",
        "sk-proj-q9rXxtNDFyuzX9k1gnneGEYG1LwiqD9jJBAciI05FhfwKVqlUr5Qrec8TNecj9",
    ),
    (
        "anthropic-api-key",
        "key: sk-ant-api03-q9rXxtNDFyuzX9k1gnneGEYG1-LwiqD9jJBAciI05FhfwKVqlUr5Qrec8TNecj9iNOrjj5VfqRTk8j1d_bWWbjkloG1QXAA",
        "sk-ant-api03-q9rXxtNDFyuzX9k1gnneGEYG1-LwiqD9jJBAciI05FhfwKVqlUr5Qrec8TNecj9iNOrjj5VfqRTk8j1d_bWWbjkloG1QXAA",
    ),
    // google
    ("gcp-api-key", "apiKey: \"AIzaSyNHxIf32IQ1a1yjl3ZJIqKZqzLAK1XhDk-\"", "AIzaSyNHxIf32IQ1a1yjl3ZJIqKZqzLAK1XhDk-"),
    (
        "gcp-service-account-key-id",
        r#""private_key_id": "7f3c1e9a2b4d6f8e0a1c3e5b7d9f2a4c6e8b0d1f","#,
        "7f3c1e9a2b4d6f8e0a1c3e5b7d9f2a4c6e8b0d1f",
    ),
    // azure
    ("azure-ad-client-secret", "client_secret=bP88Q~rcBcYjzzOhg1Hnn76Wm3jGgakZiZ.8vMgR", "bP88Q~rcBcYjzzOhg1Hnn76Wm3jGgakZiZ.8vMgR"),
    (
        "azure-storage-account-key",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFyYmF6cXV4Q0xJRU5UU0VDUkVUa2V5MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6QU==;EndpointSuffix=core.windows.net",
        "Zm9vYmFyYmF6cXV4Q0xJRU5UU0VDUkVUa2V5MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6QU==",
    ),
    // hugging face
    ("huggingface-access-token", "huggingface-cli login --token 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", "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"),
    ("huggingface-org-token", "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", "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"),
    // npm / pypi
    ("npm-access-token", "//registry.npmjs.org/:_authToken=npm_Q7wE9rT2yU4iO6pA8sD0fG1hJ3kL5zX7cV9b", "npm_Q7wE9rT2yU4iO6pA8sD0fG1hJ3kL5zX7cV9b"),
    (
        "pypi-upload-token",
        "password = pypi-AgEIcHlwaS5vcmcCJGE3ZjQ5YjYxLWQ1NzAtNDg3My04ZDI0LTk2ZTNiOGY0N2YxNQACKlszLCJmOTNlNjk",
        "pypi-AgEIcHlwaS5vcmcCJGE3ZjQ5YjYxLWQ1NzAtNDg3My04ZDI0LTk2ZTNiOGY0N2YxNQACKlszLCJmOTNlNjk",
    ),
    // twilio / sendgrid / mailgun
    ("twilio-api-key", "TWILIO_API_KEY=SK8f3a9c2e7b1d4f6a0e5c9b3d7f1a2e4c", "SK8f3a9c2e7b1d4f6a0e5c9b3d7f1a2e4c"),
    ("twilio-auth-token", "TWILIO_AUTH_TOKEN=\"9f8e7d6c5b4a39281706f5e4d3c2b1a0\"", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
    (
        "sendgrid-api-key",
        "SENDGRID_API_KEY=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",
        "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",
    ),
    ("mailgun-api-key", "api: key-3ax6xnjp29jd6fds4gc373sgvjxteol0", "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"),
    // digitalocean / heroku / datadog / shopify
    (
        "digitalocean-token",
        "dop_v1_4f6e2a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f2a4c6e8b0d1f3a5c7e9b2d4f",
        "dop_v1_4f6e2a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f2a4c6e8b0d1f3a5c7e9b2d4f",
    ),
    ("heroku-api-key-legacy", "heroku_api_key = \"832d2129-a846-4e27-99f4-7004b6ad53ef\"", "832d2129-a846-4e27-99f4-7004b6ad53ef"),
    ("datadog-api-key", "DD_API_KEY=4f6e2a8c0b1d3e5f7a9c2b4d6e8f0a1c", "4f6e2a8c0b1d3e5f7a9c2b4d6e8f0a1c"),
    ("shopify-token", "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", "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"),
    // discord / telegram
    (
        "discord-bot-token",
        "DISCORD_BOT_TOKEN=MTA4NzY1NDMyMTA5ODc2NTQzMg.GhT3kq.Xw8pLm2Nq4Rs6Tu8Vw0Yz2Ab4Cd6Ef8Gh0Ij2K",
        "MTA4NzY1NDMyMTA5ODc2NTQzMg.GhT3kq.Xw8pLm2Nq4Rs6Tu8Vw0Yz2Ab4Cd6Ef8Gh0Ij2K",
    ),
    ("telegram-bot-token", "bot token 5829371046:AAH3kq9Xw8pLm2Nq4Rs6Tu8Vw0Yz2Ab4Cd6", "5829371046:AAH3kq9Xw8pLm2Nq4Rs6Tu8Vw0Yz2Ab4Cd6"),
    // jwt
    (
        "jwt",
        "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VybmFtZTpib2IifQ.HcfCW67Uda-0gz54ZWTqmtgJnZeNem0Q757eTa9EZuw",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VybmFtZTpib2IifQ.HcfCW67Uda-0gz54ZWTqmtgJnZeNem0Q757eTa9EZuw",
    ),
    // url with password
    ("url-password", "DATABASE_URL=postgres://app:Kq9x7TzL2mPw@db.internal:5432/app", "Kq9x7TzL2mPw"),
    ("url-password", "redis://:s3cr3tPa55@cache:6379/0", "s3cr3tPa55"),
    // curl / header
    ("curl-user-password", "curl --cacert ca.crt -u elastic:P@ssw0rd$1 https://localhost:9200", "elastic:P@ssw0rd$1"),
    ("authorization-header", "curl -H \"Authorization: Bearer cfcabd11c7ed9a41b1a3e063c32d5114\"", "cfcabd11c7ed9a41b1a3e063c32d5114"),
    // kubernetes
    (
        "kubernetes-secret-data",
        "kind: Secret\ndata:\n  api: c2VjcmV0LXZhbHVlLTE=\n",
        "c2VjcmV0LXZhbHVlLTE=",
    ),
    // generic
    ("generic-secret", "DB_PASSWORD=Xk92-hf8Q2mz", "Xk92-hf8Q2mz"),
    ("generic-secret", "  password: \"Tr0ub4dor&3\"", "Tr0ub4dor&3"),
    ("generic-secret", "\"client_secret\" : \"6da89121079f83b2eb6acccf8219ea982c3d79bccc3e9c6a85856480661f8fde\",", "6da89121079f83b2eb6acccf8219ea982c3d79bccc3e9c6a85856480661f8fde"),
    ("generic-secret", "api_key = 'a8Xk2Pq9Lm4Zr7Tw'", "a8Xk2Pq9Lm4Zr7Tw"),
    ("generic-secret", "export SERVICE_TOKEN=7c1e9a2b4d6f8e0a", "7c1e9a2b4d6f8e0a"),
];

const PRIVATE_KEY: &str = "-----BEGIN EC PRIVATE KEY-----\n7VSLDCD1IfHWGbtMfEbo9ShFXNQ6Fq5axtjRNmHkW5vQ7CF5puzQqmOBZZW6m4ny\noL6uniiFw152cTe8r0khCEr7n1AyOHFRuT11NCue\n-----END EC PRIVATE KEY-----";

/// Must not produce any finding: placeholders, documented examples, code, hashes, ids.
const NEGATIVES: &[&str] = &[
    // a placeholder pair for curl's -u (gitleaks' curl-auth-user not-secret sample)
    "curl -u <user:password> https://test.com/endpoint",
    // documented examples and fillers
    "AKIAIOSFODNN7EXAMPLE",
    "aws_access_key: AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "key = AKIAXXXXXXXXXXXXXXXX",
    "TODAYINASIAASACKOFRICEFELLOVER",
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "github_pat_xxxxxxxxxxxxxxxxxxxxxx_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "glpat-XXXXXXXXXXX-XXXXXXXX",
    "xoxb-xxxxxxxxx-xxxxxxxxxx-xxxxxxxxxxxx",
    "\"token3\": \"xoxp-1234-1234-1234-4ddbc191d40ee098cbaae6f3523ada2d\"",
    "AIzaSyabcdefghijklmnopqrstuvwxyz1234567",
    "apiKey: \"AIzaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
    "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "client_secret=bP88Q~xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "sk_test_51OuEMLAlTWGaDypq4P5cuDHbuKeG4tAGPYHJpEXQ7zE8mKK3jkhTF",
    "pk_live_51OuEMLAlTWGaDypq4P5cuDHbuKeG4tAGPYHJ",
    "-----BEGIN PRIVATE KEY-----\nanything\n-----END PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY----------END OPENSSH PRIVATE KEY-----",
    "const header = \"-----BEGIN RSA PRIVATE KEY-----\";",
    // placeholders and code
    "password: ********",
    "password = os.environ[\"DB_PASSWORD\"]",
    "password: ${DB_PASS}",
    "token = get_token()",
    "secret_key = settings.SECRET_KEY",
    "api_key = \"<your-api-key>\"",
    "password = \"changeme\"",
    "token: {{ .Values.token }}",
    "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
    "administrator_login_password = var.db_password",
    "let token = self.next_token()?;",
    "password: String,",
    "api_key: Option<String>,",
    "csrf-token=Mj2qykJO5rELyHgezQ69nzUX0i3OH67V7+V4eUrLfpuyOuxmiW9rhROG/Whikle15syazJOkrjJa3U2AbhIvUw==",
    "LLM_SECRET_NAME = \"NEXUS-GPT4-API-KEY\"",
    "secret_length = X25519.secret_length",
    "password_file = \"/run/secrets/db_password\"",
    "curl -u \"${_username}:${_password}\"",
    "curl -i -u 'test:test'",
    "curl -H \"Authorization: Bearer $API_KEY\"",
    "curl -H \"Authorization: Bearer <token>\"",
    "postgres://postgres:postgres@localhost/db",
    "https://user:${PASSWORD}@example.com",
    "http://$USER:$PASS@host",
    // hashes, ids, lockfiles, images
    "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
    "uuid 123e4567-e89b-12d3-a456-426614174000",
    "hash = \"sha256:1818b904ce6087413e3b266f850f1578b5c72dc4ee60caea63367c29a80b21ea\"",
    "checksum = \"9ae4f5a1c5d1d5c6e2f0b3a4d7e8c9b0a1f2e3d4c5b6a7980f1e2d3c4b5a6978\"",
    "\"integrity\": \"sha512-Kq2x9VbNm3LpQ8wRt5Yz7Ac1De4Fg6Hj0Kl2Mn4Op6Qr8St0Uv2Wx4Yz6Ab8Cd0Ef2Gh4Ij6Kl8Mn0Op2Qr4St6==\"",
    "<img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\">",
    "resolved \"https://registry.yarnpkg.com/lodash/-/lodash-4.17.21.tgz#679591c564c3bffaae8454cf0b3df370c3d6911c\"",
    "The password must be at least eight characters long; the token expires after an hour.",
    "clientId = \"73082700-1f09-405b-80d0-3131bfd6272d\"",
    "\"kms_key_id\": \"555ea4a3-d53a-4412-9c66-3a7cb667b0d6\",",
];

#[test]
fn every_builtin_rule_compiles_and_has_keywords() {
    let d = builtin();
    for r in &d.rules {
        assert!(r.regex().is_some(), "rule {} does not compile", r.id);
        assert!(
            r.keywords.iter().next().is_some(),
            "rule {} has no keyword",
            r.id
        );
        for k in r.keywords.iter() {
            assert_eq!(
                k,
                k.to_ascii_lowercase(),
                "keyword of {} not lowercase",
                r.id
            );
        }
    }
    let mut seen = std::collections::HashSet::new();
    for r in &d.rules {
        assert!(seen.insert(r.id.to_string()), "duplicate id {}", r.id);
    }
}

#[test]
fn positives_per_family() {
    for (rule, text, secret) in POSITIVES {
        assert_found(rule, text, secret);
    }
    assert_found("private-key", &format!("key: {PRIVATE_KEY}\n"), PRIVATE_KEY);
}

#[test]
fn every_family_has_a_positive_test() {
    let tested: std::collections::HashSet<&str> = POSITIVES.iter().map(|p| p.0).collect();
    let mut families_tested = std::collections::HashSet::new();
    for r in builtin().rules() {
        if tested.contains(&*r.id) {
            families_tested.insert(r.family.to_string());
        }
    }
    families_tested.insert("private-key".to_string());
    for family in [
        "aws",
        "github",
        "gitlab",
        "slack",
        "stripe",
        "openai",
        "anthropic",
        "google",
        "azure",
        "huggingface",
        "npm",
        "pypi",
        "twilio",
        "sendgrid",
        "mailgun",
        "digitalocean",
        "heroku",
        "datadog",
        "shopify",
        "discord",
        "telegram",
        "jwt",
        "url-credentials",
        "curl-auth",
        "auth-header",
        "generic",
        "kubernetes",
    ] {
        assert!(
            families_tested.contains(family),
            "no positive test for {family}"
        );
    }
}

#[test]
fn negatives_and_placeholders() {
    for text in NEGATIVES {
        assert_clean(text);
    }
}

#[test]
fn private_key_blocks_whole() {
    // In a JSON string (service-account file), with literal \n escapes.
    let json = r#"{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDAC4AWkdwKYSd8\nKs14IReLcYgADhoXk56ZzXI=\n-----END PRIVATE KEY-----\n"}"#;
    let f = builtin().find(json);
    assert_eq!(f.len(), 1, "{f:?}");
    let s = &json[f[0].range.clone()];
    assert!(
        s.starts_with("-----BEGIN PRIVATE KEY-----") && s.ends_with("-----END PRIVATE KEY-----")
    );
    // Truncated output (`head -3 id_rsa`): the part shown is still covered.
    let head = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBqXw3c0n1n0fTqL8b5Jk9y6Vb5mXzR1H2vQpLq8w3ZrQAAAJgAAAAAAAAA\n";
    let (red, _) = builtin().redact(head);
    assert_eq!(red, "[REDACTED:private-key]\n");
}

#[test]
fn redact_replaces_with_marker_and_borrows_when_clean() {
    let (out, f) = builtin().redact("x AKIA29326ML64LG2TJF8 y");
    assert_eq!(out, "x [REDACTED:aws-access-key-id] y");
    assert_eq!(f.len(), 1);
    let (out, f) = builtin().redact("nothing here");
    assert!(matches!(out, Cow::Borrowed(_)));
    assert!(f.is_empty());
}

#[test]
fn findings_sorted_non_overlapping_with_lines() {
    let text =
        "a\nGITHUB_TOKEN=ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO\n\nkey: AKIA29326ML64LG2TJF8\n";
    let f = builtin().find(text);
    assert_eq!(ids(text), vec!["github-pat", "aws-access-key-id"]);
    assert_eq!(f[0].line, 2);
    assert_eq!(f[1].line, 4);
    assert!(f[0].range.end <= f[1].range.start);
}

#[test]
fn specific_rule_beats_generic() {
    assert_eq!(
        ids("password = \"ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO\""),
        vec!["github-pat"]
    );
}

#[test]
fn ranges_stay_on_char_boundaries() {
    let text = "password=Xk92hf8Q2mzé€ rest";
    for f in builtin().find(text) {
        assert!(text.is_char_boundary(f.range.start) && text.is_char_boundary(f.range.end));
    }
    let _ = builtin().redact(text);
}

#[test]
fn redact_json_strings_keys_and_context() {
    let mut v = serde_json::json!({
        "tool_response": {"stdout": "key: AKIA29326ML64LG2TJF8\n", "stderr": ""},
        "env": {"DB_PASSWORD": "Xk92-hf8Q2mz", "HOME": "/root"},
        "list": [["ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO"]],
        "ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO": 1
    });
    let f = builtin().redact_json(&mut v);
    assert_eq!(f.len(), 4, "{f:?}");
    let s = v.to_string();
    assert!(!s.contains("AKIA29326ML64LG2TJF8"));
    assert!(!s.contains("Xk92-hf8Q2mz"));
    assert!(!s.contains("ghp_Z4SO"));
    assert_eq!(v["env"]["DB_PASSWORD"], "[REDACTED:generic-secret]");
    assert_eq!(v["env"]["HOME"], "/root");
}

#[test]
fn redact_json_deep_tree_does_not_recurse() {
    let mut v = serde_json::Value::String("ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO".into());
    for _ in 0..100_000 {
        v = serde_json::Value::Array(vec![v]);
    }
    assert_eq!(builtin().redact_json(&mut v).len(), 1);
    // Dismantle iteratively: serde_json's Drop would recurse.
    let mut cur = v;
    while let serde_json::Value::Array(mut a) = cur {
        cur = a.pop().unwrap_or(serde_json::Value::Null);
    }
}

#[test]
fn custom_rules() {
    let d = Detector::with_extra_rules(vec![CustomRule {
        id: "acme-token".into(),
        name: "ACME token".into(),
        regex: r"acme_([A-Za-z0-9]{24})".into(),
        keywords: vec!["ACME_".into()],
        min_entropy: Some(3.0),
    }])
    .unwrap();
    let f = d.find("t=acme_Qm3xYz8K1vLp0RtN4sWdZx9k acme_aaaaaaaaaaaaaaaaaaaaaaaa");
    assert_eq!(f.len(), 1);
    assert_eq!(&*f[0].rule_id, "acme-token");
    assert_eq!(f[0].range, 7..31);
    // Built-ins still there.
    assert_eq!(d.find("AKIA29326ML64LG2TJF8").len(), 1);

    let bad = |id: &str, regex: &str| {
        Detector::with_extra_rules(vec![CustomRule {
            id: id.into(),
            name: "x".into(),
            regex: regex.into(),
            keywords: vec![],
            min_entropy: None,
        }])
    };
    assert!(matches!(
        bad("x", "("),
        Err(SecretRuleError::BadRegex { .. })
    ));
    assert!(matches!(
        bad("github-pat", "abc"),
        Err(SecretRuleError::DuplicateId(_))
    ));
    assert!(matches!(bad("", "abc"), Err(SecretRuleError::BadId(_))));
    assert!(matches!(
        bad("x", "a*"),
        Err(SecretRuleError::EmptyMatch(_))
    ));
    // No keywords: runs everywhere.
    assert_eq!(bad("x", "zz[0-9]{3}").unwrap().find("a zz123").len(), 1);
}

#[test]
fn custom_rule_toml_shape() {
    #[derive(serde::Deserialize)]
    struct P {
        rules: Vec<CustomRule>,
    }
    let p: P = toml::from_str(
        "[[rules]]\nid = 'a'\nname = 'A'\nregex = 'a_[0-9]{9}'\nkeywords = ['a_']\n",
    )
    .unwrap();
    assert_eq!(p.rules[0].min_entropy, None);
    assert!(
        toml::from_str::<P>("[[rules]]\nid='a'\nname='A'\nregex='x'\nkeywords=[]\nextra=1\n")
            .is_err()
    );
}

#[test]
fn mask_shows_only_fixed_prefix() {
    let text = "ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO";
    let f = builtin().find(text);
    assert_eq!(builtin().mask(text.as_bytes(), &f[0]), "ghp_…[40 bytes]");
    let text = "password=Xk92-hf8Q2mz";
    let f = builtin().find(text);
    assert_eq!(builtin().mask(text.as_bytes(), &f[0]), "…[12 bytes]");
}

#[test]
fn scrub_streams_and_keeps_key_blocks_whole() {
    let input = format!(
        "line one\n{PRIVATE_KEY}\nGITHUB_TOKEN=ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO\ntail"
    );
    // A reader that hands out 7 bytes at a time, so the key block spans many reads.
    struct Slow<'a>(&'a [u8]);
    impl Read for Slow<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(7).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let mut out = Vec::new();
    let n = scrub(builtin(), Slow(input.as_bytes()), &mut out).unwrap();
    assert_eq!(n, 2);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "line one\n[REDACTED:private-key]\nGITHUB_TOKEN=[REDACTED:github-pat]\ntail"
    );
}

#[test]
fn scrub_passes_non_utf8_and_long_lines() {
    let mut input = vec![0xffu8, 0xfe, b'\n'];
    input.extend(std::iter::repeat_n(b'a', MAX_LINE + 10));
    input.extend_from_slice(b" AKIA29326ML64LG2TJF8\n");
    let mut out = Vec::new();
    let n = scrub(builtin(), &input[..], &mut out).unwrap();
    assert_eq!(n, 1);
    assert!(out.starts_with(&[0xff, 0xfe, b'\n']));
    assert!(out.ends_with(b" [REDACTED:aws-access-key-id]\n"));
}

#[test]
fn corpus_cases() {
    // The shared corpus' secret-detection cases (post.jsonl), inlined.
    for s in [
        "AKIA29326ML64LG2TJF8",
        "ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO",
        "xoxp-470174681453-840191614610-033076661934-a29a0d347301ef56e64dc3cd6089065c",
        "sk_live_2MPKgcjnCqaXNv1syeefnLOpaMxxND",
        "sk-ant-api03-q9rXxtNDFyuzX9k1gnneGEYG1-LwiqD9jJBAciI05FhfwKVqlUr5Qrec8TNecj9iNOrjj5VfqRTk8j1d_bWWbjkloG1QXAA",
        PRIVATE_KEY,
    ] {
        let text = format!("key: {s}\n");
        let (red, f) = builtin().redact(&text);
        assert_eq!(f.len(), 1, "{s}");
        assert!(!red.contains(s));
    }
}

#[test]
fn fixture_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/secrets");
    let pos = std::fs::read_to_string(dir.join("positives.txt")).unwrap();
    let mut n = 0;
    for (i, line) in pos.lines().enumerate() {
        let Some((rule, text)) = line.split_once('\t') else {
            continue;
        };
        if line.starts_with('#') {
            continue;
        }
        let text = text.replace("\\n", "\n");
        assert!(
            builtin().find(&text).iter().any(|f| &*f.rule_id == rule),
            "positives.txt:{}: {rule} not found",
            i + 1
        );
        n += 1;
    }
    assert!(n >= 40, "only {n} positive fixtures");
    let neg = std::fs::read_to_string(dir.join("negatives.txt")).unwrap();
    let mut m = 0;
    for (i, line) in neg.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let f = builtin().find(line);
        assert!(
            f.is_empty(),
            "negatives.txt:{}: flagged by {}",
            i + 1,
            f[0].rule_id
        );
        m += 1;
    }
    assert!(m >= 40, "only {m} negative fixtures");
}

/// Generators of well-formed secrets of several families.
fn secret_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "AKIA[A-Z2-7]{16}",
        "ghp_[A-Za-z0-9]{36}",
        "glpat-[A-Za-z0-9]{20}",
        "xoxb-[0-9]{12}-[0-9]{12}-[A-Za-z0-9]{24}",
        "sk_live_[A-Za-z0-9]{24}",
        "AIza[A-Za-z0-9_-]{35}",
        "hf_[A-Za-z]{34}",
        "npm_[A-Za-z0-9]{36}",
        "SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}",
        "shpat_[a-f0-9]{32}",
        "dop_v1_[a-f0-9]{64}",
    ]
}

fn filler_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,40}",
        "[a-z ]{0,30}\n",
        Just(" = ".to_string()),
        Just("\"".to_string()),
        Just("password=".to_string()),
        Just("://u:".to_string()),
        Just("@h ".to_string()),
        "\\PC{0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Redaction never leaves a detected secret in the output, and the output has nothing
    /// left to find.
    #[test]
    fn redaction_leaves_no_detected_secret(
        parts in proptest::collection::vec((filler_strategy(), proptest::option::of(secret_strategy())), 1..8)
    ) {
        let mut text = String::new();
        let mut planted = Vec::new();
        for (f, s) in &parts {
            text.push_str(f);
            if let Some(s) = s {
                text.push(' ');
                text.push_str(s);
                text.push(' ');
                planted.push(s.clone());
            }
        }
        let d = builtin();
        let findings = d.find(&text);
        let (out, _) = d.redact(&text);
        for f in &findings {
            let secret = &text[f.range.clone()];
            // The same characters may also stand elsewhere in the text as plain text
            // (`password=` before a URL whose password is `password=`): every occurrence that
            // was found must be gone, the others may stay.
            let found = findings.iter().filter(|g| &text[g.range.clone()] == secret).count();
            let before = text.matches(secret).count();
            let after = out.matches(secret).count();
            prop_assert!(after + found <= before, "{} left in output", f.rule_id);
        }
        prop_assert!(d.find(&out).is_empty(), "redacted output still has findings: {:?}", d.find(&out));
        // Planted secrets that pass the format's own filters must be found.
        for s in &planted {
            let alone = d.find(s);
            if !alone.is_empty() {
                prop_assert!(!out.contains(s.as_str()), "planted secret left in output");
            }
        }
    }

    /// Arbitrary input never panics and yields sorted, non-overlapping, in-bounds findings.
    #[test]
    fn find_is_total(text in "\\PC{0,300}") {
        let f = builtin().find(&text);
        for w in f.windows(2) {
            prop_assert!(w[0].range.end <= w[1].range.start);
        }
        for x in &f {
            prop_assert!(x.range.end <= text.len());
        }
    }
}

/// Not a check: prints what each rule costs to compile (`cargo test --release --lib
/// secrets::tests::compile_cost -- --ignored --nocapture`), to keep cold start in view.
#[test]
#[ignore = "measurement"]
#[allow(clippy::print_stdout, clippy::disallowed_macros)]
fn compile_cost() {
    let mut v: Vec<(std::time::Duration, &str)> = rules::RULES
        .iter()
        .map(|d| {
            let src = rules::regex_source(&d.pattern);
            let t = std::time::Instant::now();
            compile(&src).unwrap();
            (t.elapsed(), d.id)
        })
        .collect();
    v.sort();
    for (t, id) in v.iter().rev().take(15) {
        println!("{t:>12?} {id}");
    }
    let t = std::time::Instant::now();
    let _ = Detector::new();
    println!("Detector::new {:?}", t.elapsed());
}

#[test]
fn generic_key_needs_a_qualifier_and_urls_a_scheme() {
    assert_found(
        "generic-secret",
        "clientKey: \"Xk92hf8Q2mzLp4\"",
        "Xk92hf8Q2mzLp4",
    );
    assert_found(
        "generic-secret",
        "LICENSE_KEY=Xk92hf8Q2mzLp4",
        "Xk92hf8Q2mzLp4",
    );
    assert_clean("monkey = \"Xk92hf8Q2mzLp4\"");
    assert_clean("key = \"Xk92hf8Q2mzLp4\"");
    assert_clean("public_key = \"Xk92hf8Q2mzLp4\"");
    assert_clean("see ://user:Kq9x7TzL2mPw@host");
    assert_found(
        "url-password",
        "amqps://svc:Kq9x7TzL2mPw@mq.internal",
        "Kq9x7TzL2mPw",
    );
    // Hex values have a lower entropy ceiling.
    assert_found(
        "generic-secret",
        "-H \"Token: 3fea6af1349166ea\"",
        "3fea6af1349166ea",
    );
}

#[test]
fn keyword_floods_stay_fast_and_long_values_are_covered() {
    // Quadratic behaviour would take minutes here.
    let flood = "token=".repeat(100_000) + "(";
    let t = std::time::Instant::now();
    let _ = builtin().find(&flood);
    let flood2 = "password:a".repeat(60_000) + "{";
    let _ = builtin().find(&flood2);
    assert!(
        t.elapsed() < std::time::Duration::from_secs(90),
        "{:?}",
        t.elapsed()
    );
    // A value longer than the anchor window is redacted whole.
    let long: String = (0..5000).map(|i| ["Xk9", "q2Z", "m7P"][i % 3]).collect();
    let text = format!("SESSION_SECRET={long} next");
    let (out, f) = builtin().redact(&text);
    assert_eq!(f.len(), 1);
    assert_eq!(out, "SESSION_SECRET=[REDACTED:generic-secret] next");
}

#[test]
// A hang guard, not a benchmark: linear work finishes in well under a second in release; the
// bound only has to catch quadratic blow-ups (minutes) on a loaded 2-core debug build.
fn many_findings_of_mixed_priority_resolve_quickly() {
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!(
            "AKIA29326ML64LG2{:04} password=Xk92hf8Q{i:05}z\n",
            i % 10_000
        ));
    }
    let t = std::time::Instant::now();
    let f = builtin().find(&text);
    assert!(f.len() >= 30_000, "{}", f.len());
    assert!(t.elapsed() < std::time::Duration::from_secs(90));
    for w in f.windows(2) {
        assert!(w[0].range.end <= w[1].range.start);
    }
}

#[test]
fn kubernetes_secret_values() {
    let yaml = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  host: ZGIuaW50ZXJuYWw=\n  extra: 'YWRtaW46cGFzc3dvcmQ='\n  .dockercfg: |\n    eyJhdXRocyI6eyJodHRwczovL2V4YW1wbGUvdjEvIjp7ImF1dGgiOiJvcGVuc2VzYW1lIn19fQo=\n  tiny: YmFyCg==\n  templ: {{ .Values.x }}\n";
    let f = builtin().find(yaml);
    let got: Vec<&str> = f.iter().map(|f| &yaml[f.range.clone()]).collect();
    assert_eq!(
        got,
        vec![
            "ZGIuaW50ZXJuYWw=",
            "YWRtaW46cGFzc3dvcmQ=",
            "eyJhdXRocyI6eyJodHRwczovL2V4YW1wbGUvdjEvIjp7ImF1dGgiOiJvcGVuc2VzYW1lIn19fQo="
        ]
    );
    assert!(f.iter().all(|f| &*f.rule_id == "kubernetes-secret-data"));
    let json = r#"{"apiVersion": "v1", "kind": "Secret", "data": {"api": "c2VjcmV0LXZhbHVlLTE=", "b": "dG9rZW4tdmFsdWUtMg=="}}"#;
    assert_eq!(builtin().find(json).len(), 2);
    // Not a Secret: a ConfigMap's data, an ExternalSecret's data.
    assert_clean(
        "kind: ConfigMap\ndata:\n  host: ZGIuaW50ZXJuYWw=\n---\nkind: Secret\ndata:\n  x: ''\n",
    );
    assert_clean("kind: ExternalSecret\nspec:\n  data:\n    - secretKey: api-key\n      remoteRef:\n        key: my-secret\n");
}

#[test]
fn documentation_shapes_are_not_secrets() {
    assert_clean("const options = new URL('https://abc:xyz@example.com');");
    assert_clean("const u = new URL('https://svc:secret123@api.example.com/v1');");
    assert_clean("postgres://app:hunter2@db.example.org/app");
    assert_clean("  cvs://:pserver:anoncvs@sources.redhat.com:/cvs/src");
    assert_clean(
        "# METHOD can be \"trust\", \"reject\", \"md5\", \"password\", \"scram-sha-256\",",
    );
    assert_clean("\"kadmin/dbutil\", \"kadmin/passwd\", \"kadmin/server\", \"lib/kadm5\", and");
    assert_clean("    let s:netrw_passwd= g:netrw_passwd");
    assert_clean("\"-auth=anonymous:$FROM_EMAIL\",");
    assert_clean("jwt.encode({\"some\": \"payload\"}, \"secret\", algorithm=\"HS256\")");
    // The pair form still works for real values.
    assert_found(
        "generic-secret",
        "os.getenv(\"API_TOKEN\", \"dafa7817-e246-48f3-91a7-e87653d587b8\")",
        "dafa7817-e246-48f3-91a7-e87653d587b8",
    );
}

/// A case proptest once shrank to (while the generic rule was being rewritten): kept as a
/// plain test instead of a regression file.
#[test]
fn proptest_regression_slack_after_wide_chars() {
    let text = " = a\u{1F7F0}b\u{10B58}\u{1cf30}0 xoxb-000000000000-000000000000-aaabEDF1EAaBcBdAGH2eI0JC ";
    let (out, f) = builtin().redact(text);
    assert_eq!(f.len(), 1);
    assert!(!out.contains("xoxb-"));
    assert!(builtin().find(&out).is_empty());
}

#[test]
fn a_secret_is_redacted_wherever_it_repeats() {
    let text = "DB_PASSWORD=Xk92-hf8Q2mz\n$ echo Xk92-hf8Q2mz | psql\n";
    let (out, f) = builtin().redact(text);
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(!out.contains("Xk92-hf8Q2mz"));
    assert_eq!(f[1].line, 2);
    // Short values are not chased through the text.
    let f = builtin().find("curl -u api:Qw9z!x a Qw9z!x");
    assert!(f.len() <= 1);
}

#[test]
fn curl_user_stays_on_its_line() {
    assert_clean("curl -u\nAuthorization: Bearer $TOKEN");
    assert_clean("curl -u Authorization: https://x");
    assert_found(
        "curl-user-password",
        "curl -uapi:Qw9zL2xT7p https://x",
        "api:Qw9zL2xT7p",
    );
}

#[test]
fn putty_and_netrc() {
    let ppk = "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: eddsa-key-20261127\nPublic-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAIBq4Xw3c0n1n0fTqL8b5Jk9y6Vb5mXzR1H2vQpLq8w3Z\nPrivate-Lines: 1\nAAAAIGq9Rk2wXv7Lm4Pz8Tn3Qc6Yh1Js5Bd0Fe7Ug9Ka2Mx4\nPrivate-MAC: 5f1c2e9a7b3d4c6e8f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4\n";
    let f = builtin().find(ppk);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(&*f[0].rule_id, "putty-private-key");
    assert!(ppk[f[0].range.clone()].starts_with("AAAAIGq9Rk2w"));
    assert_found(
        "netrc-password",
        "machine api.heroku.com\n  login me@example.org\n  password 7c1e9a2b-4d6f-8e0a-b1c2-d3e4f5a6b7c8\n",
        "7c1e9a2b-4d6f-8e0a-b1c2-d3e4f5a6b7c8",
    );
    assert_clean("machine github.com login octocat password ${GITHUB_TOKEN}");
}

// ---- keyword search: the pair table, the automaton and no prefilter agree ----

/// Every sample text the tests know: the tables above, the fixture files, and gitleaks'
/// labelled samples when the shared data folder is beside the repository (as in CI).
fn sample_texts() -> Vec<String> {
    let mut out: Vec<String> = POSITIVES.iter().map(|p| p.1.to_string()).collect();
    out.extend(NEGATIVES.iter().map(|t| t.to_string()));
    out.push(format!("key: {PRIVATE_KEY}\n"));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for f in ["positives.txt", "negatives.txt"] {
        let text = std::fs::read_to_string(root.join("fixtures/secrets").join(f)).unwrap();
        for line in text.lines() {
            let line = line.split_once('\t').map_or(line, |(_, t)| t);
            out.push(line.replace("\\n", "\n"));
        }
    }
    let shared = root.join("../shared/data/secrets/gitleaks-samples.jsonl");
    if let Ok(jsonl) = std::fs::read_to_string(shared) {
        for line in jsonl.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            if let Some(t) = v["text"].as_str() {
                out.push(t.to_string());
            }
        }
    }
    out
}

/// An automaton over a detector's keywords, built as the detector builds its own.
fn automaton(d: &Detector, kind: AhoCorasickKind) -> AhoCorasick {
    AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(kind))
        .build(d.keywords.iter().map(|k| k.as_bytes()))
        .unwrap()
}

/// The automaton's overlapping matches over the lowercased text, in its order.
fn automaton_matches(ac: &AhoCorasick, text: &[u8]) -> Vec<(usize, usize, usize)> {
    ac.find_overlapping_iter(&text.to_ascii_lowercase())
        .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
        .collect()
}

/// The pair table's matches, put in the automaton's order (end, then start).
fn pair_matches(d: &Detector, text: &[u8]) -> Vec<(usize, usize, usize)> {
    let ix = PairIndex::new(&d.keywords).expect("the keywords suit the pair table");
    let mut out = Vec::new();
    ix.scan(&d.keywords, text, |p, s, e| out.push((p, s, e)));
    out.sort_by_key(|&(_, s, e)| (e, s));
    out
}

/// A detector with policy keywords that stress the pair table: one byte long, prefixes of
/// each other, sharing first pairs, non-ASCII.
fn stress_detector() -> Detector {
    let rule = |id: &str, kw: &[&str]| CustomRule {
        id: id.into(),
        name: id.into(),
        regex: "zz[0-9]{6}".into(),
        keywords: kw.iter().map(|k| k.to_string()).collect(),
        min_entropy: None,
    };
    Detector::with_extra_rules(vec![
        rule("one", &["q", "Z"]),
        rule("nested", &["ab", "abc", "abcd", "bcd", "d"]),
        rule("wide", &["é", "éx", "pass", "PASSWORD", "sk"]),
    ])
    .unwrap()
}

#[test]
fn pair_table_reports_exactly_what_the_automaton_reports_on_samples() {
    let stress = stress_detector();
    let mut checks = Vec::new();
    for d in [builtin(), &stress] {
        for kind in [AhoCorasickKind::NoncontiguousNFA, AhoCorasickKind::DFA] {
            checks.push((d, automaton(d, kind)));
        }
    }
    let mut texts = sample_texts();
    texts.extend(sample_texts().iter().map(|t| t.to_ascii_uppercase()));
    // Every keyword alone, at the end of a text, doubled, in upper case.
    for k in builtin().keywords.iter().chain(&stress.keywords) {
        texts.extend([
            k.to_string(),
            format!("x{k}"),
            format!("{k}{k}"),
            k.to_uppercase(),
        ]);
    }
    texts.push(String::new());
    let mut matches = 0;
    for text in &texts {
        for (d, ac) in &checks {
            let pairs = pair_matches(d, text.as_bytes());
            assert_eq!(pairs, automaton_matches(ac, text.as_bytes()), "on {text:?}");
            matches += pairs.len();
        }
    }
    assert!(matches > 10_000, "only {matches} keyword matches");
}

#[test]
fn pair_table_refuses_keywords_it_cannot_serve() {
    let many: Vec<Cow<'static, str>> = (0..=keywords::WIDE)
        .map(|i| Cow::Owned(format!("k{i}")))
        .collect();
    assert!(
        PairIndex::new(&many).is_none(),
        "too many keywords on one first byte"
    );
    assert!(
        PairIndex::new(&[Cow::Borrowed("")]).is_none(),
        "empty keyword"
    );
    assert!(PairIndex::new(&builtin().keywords).is_some());
}

/// Build-log text past three automaton chunks, with a keyword occurrence (in mixed case,
/// followed by a value) starting `back` bytes before each chunk boundary.
fn chunk_straddling_text(back: usize) -> String {
    let line = "Compiling crate v0.1 (/home/dev) in 1.2s; Token ok\n";
    let mut text = line
        .repeat(3 * AUTOMATON_CHUNK / line.len() + 2)
        .into_bytes();
    let words = ["Password", "GHP_", "Secret_Key_Base", "xoxe.XOX"];
    for (i, boundary) in [1, 2, 3]
        .map(|n| n * AUTOMATON_CHUNK)
        .into_iter()
        .enumerate()
    {
        let put = format!("{} = \"Xk92hf8Q2mzLp4\" ", words[(i + back) % words.len()]);
        let at = boundary - back;
        text[at..at + put.len()].copy_from_slice(put.as_bytes());
    }
    String::from_utf8(text).unwrap()
}

#[test]
fn automaton_chunks_report_the_same_as_one_scan() {
    let d = Detector::new().with_keyword_search(KeywordSearch::Automaton);
    let dfa = automaton(&d, AhoCorasickKind::DFA);
    for back in 0..16 {
        let text = chunk_straddling_text(back);
        let mut chunked = Vec::new();
        assert!(d.automaton_scan(text.as_bytes(), &mut |p, s, e| chunked.push((p, s, e))));
        let whole = automaton_matches(&dfa, text.as_bytes());
        assert!(whole.len() > 1000);
        assert_eq!(chunked, whole, "back {back}");
        assert_eq!(pair_matches(&d, text.as_bytes()), whole, "back {back}");
    }
}

/// The findings of each way of searching for keywords.
fn findings_by_search(text: &str) -> [Vec<Finding>; 3] {
    static DETECTORS: OnceLock<[Detector; 3]> = OnceLock::new();
    let [auto, automaton, everything] = DETECTORS.get_or_init(|| {
        [
            Detector::new(),
            Detector::new().with_keyword_search(KeywordSearch::Automaton),
            Detector::new().with_keyword_search(KeywordSearch::Everything),
        ]
    });
    [auto.find(text), automaton.find(text), everything.find(text)]
}

#[test]
fn keyword_prefilter_hides_no_finding_on_samples() {
    let mut found = 0;
    let straddling = [0, 3, 7, 15].map(chunk_straddling_text);
    for text in sample_texts().iter().chain(&straddling) {
        let [auto, automaton, everything] = findings_by_search(text);
        assert_eq!(auto, everything, "pair table vs every rule on {text:?}");
        assert_eq!(automaton, everything, "automaton vs every rule on {text:?}");
        found += auto.len();
    }
    // The project's own samples give ~150 findings; ../shared's gitleaks samples, when the
    // checkout sits next to them, add ~150 more. A clean clone elsewhere has only the first.
    assert!(found > 100, "only {found} findings in the samples");
}

/// Built once for the property tests: the built-in keywords' NFA, the stress detector and
/// its DFA.
fn reference_automata() -> &'static (AhoCorasick, Detector, AhoCorasick) {
    static REF: OnceLock<(AhoCorasick, Detector, AhoCorasick)> = OnceLock::new();
    REF.get_or_init(|| {
        let stress = stress_detector();
        let dfa = automaton(&stress, AhoCorasickKind::DFA);
        (
            automaton(builtin(), AhoCorasickKind::NoncontiguousNFA),
            stress,
            dfa,
        )
    })
}

/// Random text made of keywords, secrets, separators and noise, in any case.
fn keyword_soup() -> impl Strategy<Value = String> {
    let keyword = proptest::sample::select(
        builtin()
            .keywords
            .iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>(),
    );
    let piece = prop_oneof![
        keyword.clone(),
        keyword.prop_map(|k| k.to_uppercase()),
        secret_strategy(),
        filler_strategy(),
        "[A-Za-z0-9+/=_.:-]{0,24}",
        Just("\n".to_string()),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The pair table finds every keyword occurrence the automaton finds, and nothing else.
    #[test]
    fn pair_table_matches_the_automaton(text in keyword_soup(), noise in "\\PC{0,64}") {
        let text = format!("{text}{noise}");
        let (builtin_nfa, stress, stress_dfa) = reference_automata();
        let pairs = pair_matches(builtin(), text.as_bytes());
        prop_assert_eq!(&pairs, &automaton_matches(builtin_nfa, text.as_bytes()));
        prop_assert_eq!(pair_matches(stress, text.as_bytes()), automaton_matches(stress_dfa, text.as_bytes()));
    }

    /// Whatever prefilter runs, the findings are those of running every rule on the text.
    #[test]
    fn keyword_prefilter_hides_no_finding(text in keyword_soup()) {
        let [auto, automaton, everything] = findings_by_search(&text);
        prop_assert_eq!(&auto, &everything);
        prop_assert_eq!(&automaton, &everything);
    }

    /// Arbitrary bytes, not only UTF-8: the pair table and the automaton agree.
    #[test]
    fn pair_table_matches_the_automaton_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        prop_assert_eq!(pair_matches(builtin(), &bytes), automaton_matches(&reference_automata().0, &bytes));
    }
}

// ---- json_has_secrets: the read-only check agrees with redact_json ----

#[test]
fn json_has_secrets_agrees_with_redact_json() {
    let d = builtin();
    for (v, expected) in [
        (
            serde_json::json!({"stdout": "build ok\n", "stderr": "", "code": 0}),
            false,
        ),
        (
            serde_json::json!({"env": {"DB_PASSWORD": "Xk92-hf8Q2mz"}}),
            true,
        ),
        (serde_json::json!({"DB_PASSWORD": "Xk92-hf8Q2mz"}), true),
        (serde_json::json!("Xk92-hf8Q2mz"), false),
        (serde_json::json!([["key: AKIA29326ML64LG2TJF8"]]), true),
        (
            serde_json::json!({"ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO": 1}),
            true,
        ),
        (serde_json::json!({"a": [1, true, null, {"b": "c"}]}), false),
    ] {
        assert_eq!(d.json_has_secrets(&v), expected, "{v}");
        let mut copy = v.clone();
        assert_eq!(!d.redact_json(&mut copy).is_empty(), expected, "{v}");
    }
}

fn json_tree() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let text = prop_oneof![
        keyword_soup(),
        secret_strategy(),
        filler_strategy(),
        Just("Xk92-hf8Q2mz".to_string()),
    ];
    let key = prop_oneof![
        Just("password".to_string()),
        Just("api_key".to_string()),
        Just("GITHUB_TOKEN".to_string()),
        Just("stdout".to_string()),
        secret_strategy(),
        "[a-z_]{0,10}",
    ];
    let leaf = prop_oneof![
        text.prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ];
    leaf.prop_recursive(4, 32, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The read-only check says "secret" exactly when redacting a copy finds something.
    #[test]
    fn json_has_secrets_is_redact_json_finding_anything(v in json_tree()) {
        let mut copy = v.clone();
        let found = builtin().redact_json(&mut copy);
        prop_assert_eq!(builtin().json_has_secrets(&v), !found.is_empty());
    }
}

/// A keyword is found in any case, so "ask" reaches the Twilio rule (keyword `sk`); its regex
/// needs `SK`, and text without it must not pay for compiling the regex.
#[test]
fn regression_ask_answer_compiled_the_twilio_regex() {
    let d = Detector::new();
    let twilio = d
        .rules
        .iter()
        .position(|r| r.id == "twilio-api-key")
        .unwrap();
    assert!(d.find("blastwall asks before this call").is_empty());
    assert!(d.rules[twilio].regex.get().is_none(), "compiled for `ask`");
    let found = d.find("TWILIO_API_KEY=SK8f3a9c2e7b1d4f6a0e5c9b3d7f1a2e4c");
    assert!(
        found.iter().any(|f| &*f.rule_id == "twilio-api-key"),
        "{found:?}"
    );
    assert!(d.rules[twilio].regex.get().is_some());
}

/// Every built-in rule's needle admits each sample its regex matches: skipping a regex for
/// text without the needle never loses a finding.
#[test]
fn builtin_needles_admit_what_their_regexes_match() {
    let d = Detector::new();
    let texts = sample_texts();
    let mut checked = 0;
    for rule in &d.rules {
        let Source::Builtin(p) = &rule.source else {
            continue;
        };
        let source = rules::regex_source(p);
        let Some(needle) = Needle::of_regex(&source, false) else {
            continue;
        };
        let re = rule.regex().unwrap();
        for sample in &texts {
            if re.is_match(sample.as_bytes()) {
                assert!(
                    needle.admits(sample.as_bytes()),
                    "{} on {sample:?}",
                    rule.id
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "only {checked} matches checked");
}

/// Found by `keyword_prefilter_hides_no_finding` (proptest, CI): the npm rule's regex allows
/// blanks around `=` (`_auth = …`) but its keyword was `_auth=`, so the prefilter never ran it
/// and the value was reported by the generic rule instead.
#[test]
fn regression_npmrc_auth_with_blanks_reaches_its_rule() {
    let text = "SHPAT_auth = AKIAA2AA2A2AAAAB7C53D_-=";
    let [auto, automaton, everything] = findings_by_search(text);
    assert_eq!(auto, everything);
    assert_eq!(automaton, everything);
    assert!(
        everything.iter().any(|f| &*f.rule_id == "npmrc-auth-token"),
        "{everything:?}"
    );
}

/// Every built-in rule has at least one documented format to generate samples from.
#[test]
fn every_rule_has_a_documented_format() {
    let covered: std::collections::HashSet<&str> =
        formats::FORMATS.iter().map(|f| f.rule).collect();
    let ids: Vec<String> = builtin().rules().map(|r| r.id.to_string()).collect();
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| !covered.contains(id.as_str()))
        .collect();
    assert!(missing.is_empty(), "rules without a format: {missing:?}");
    for f in formats::FORMATS {
        assert!(
            ids.iter().any(|id| id == f.rule),
            "format for unknown rule {}",
            f.rule
        );
    }
}

/// The redaction span is the secret, never the character after it: for every built-in rule
/// (through its documented formats), a secret followed by a space, a newline, a quote, a
/// comma, `)` or the end of the text leaves the surrounding text unchanged byte for byte.
/// Samples ending in each non-alphanumeric character of the format's alphabet (`-`, `_`, …)
/// are included: a rule ending in `\b` missed those.
#[test]
fn redaction_span_is_the_secret_never_its_delimiter() {
    let d = Detector::new().without_env_values();
    let mut rng = formats::Rng::new(15);
    let mut failures = Vec::new();
    let mut cases = 0usize;
    for fmt in formats::FORMATS {
        let mut secrets: Vec<String> = (0..6).map(|_| fmt.sample(&mut rng)).collect();
        for c in fmt
            .last_alphabet()
            .chars()
            .filter(|c| !c.is_ascii_alphanumeric())
        {
            secrets.extend(fmt.sample_ending_in(&mut rng, c));
        }
        let lead = if fmt.before.is_empty() { "x " } else { "" };
        for secret in &secrets {
            for delim in [" ", "\n", "\"", "'", ",", ")", ""] {
                // Where the format itself says a value runs on: a YAML plain scalar runs to
                // the end of its line; a .netrc token to the next blank.
                let runs_on = match fmt.rule {
                    "kubernetes-secret-data" => delim != "\n" && !delim.is_empty(),
                    "netrc-password" => matches!(delim, "," | ")"),
                    _ => false,
                };
                if runs_on {
                    continue;
                }
                let tail = if delim.is_empty() { "" } else { "y" };
                let (before, after) = (fmt.before, fmt.after);
                let text = format!("{lead}{before}{secret}{after}{delim}{tail}");
                let want = format!("{lead}{before}[REDACTED:{}]{after}{delim}{tail}", fmt.rule);
                let got = d.redact(&text).0;
                cases += 1;
                if got != want {
                    failures.push(format!("{}: {text:?}\n   got {got:?}", fmt.rule));
                }
            }
        }
    }
    // One example per rule, so a broken rule does not hide the others.
    let mut shown: Vec<String> = Vec::new();
    for f in &failures {
        let rule = f.split(':').next().unwrap_or_default();
        if !shown.iter().any(|s| s.split(':').next() == Some(rule)) {
            shown.push(f.clone());
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases wrong, one per rule:\n{}",
        failures.len(),
        shown.join("\n")
    );
}

// ---- secrets inside JSON-escaped text (a JSON document held as a string) ----

const ANTHROPIC_KEY: &str = "sk-ant-api03-AbeuEchsVEoR7TJYHSDATOCN1D61_k7U4O5Zi_czrwcK-tmoYgj7LZDwTkENNvOX8R4jI8so-XWbHlKif5hGu-9-fh8k7AA";

/// Every string of `v`, and of every string in it that is itself a JSON document, at any depth.
fn all_levels(v: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            out.push(s.clone());
            if let Ok(inner) = serde_json::from_str::<Value>(s) {
                if inner.is_object() || inner.is_array() {
                    all_levels(&inner, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| all_levels(x, out)),
        Value::Object(m) => m.iter().for_each(|(k, x)| {
            out.push(k.clone());
            all_levels(x, out);
        }),
        _ => {}
    }
}

/// `a` and `b` have the same shape: the same keys, array lengths and types, at every level,
/// strings that hold JSON documents included (their text may differ).
fn same_shape(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            match (
                serde_json::from_str::<Value>(x),
                serde_json::from_str::<Value>(y),
            ) {
                (Ok(p), Ok(q)) if p.is_object() || p.is_array() => same_shape(&p, &q),
                (Ok(p), _) if p.is_object() || p.is_array() => false,
                _ => true,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_shape(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k, p), (l, q))| k == l && same_shape(p, q))
        }
        (x, y) => std::mem::discriminant(x) == std::mem::discriminant(y),
    }
}

/// Redacts `response` as the PostToolUse handler does and checks that none of `secrets` is left
/// at any level, that each level is still valid JSON of the same shape, and which rules fired.
fn redact_levels(response: serde_json::Value, secrets: &[&str]) -> Vec<String> {
    let d = Detector::new().without_env_values();
    let mut v = response.clone();
    assert!(d.json_has_secrets(&v), "json_has_secrets missed {response}");
    let found = d.redact_json(&mut v);
    let mut levels = Vec::new();
    all_levels(&v, &mut levels);
    for s in secrets {
        let left: Vec<&String> = levels.iter().filter(|l| l.contains(s)).collect();
        assert!(left.is_empty(), "{s:?} left in {left:?}");
    }
    assert!(same_shape(&response, &v), "shape changed:\n{response}\n{v}");
    found.iter().map(|f| f.rule_id.to_string()).collect()
}

#[test]
fn anthropic_key_in_an_mcp_text_block_holding_a_json_document() {
    use serde_json::json;
    // An MCP tool that returns its result as a JSON document in a text block, pretty-printed,
    // with escapes around the key (`\"`, `\n`, `\/`, `\u00xx`).
    let doc = format!(
        "{{\n  \"settings\": {{\n    \"note\": \"line 1\\nline \\\"2\\\" \\u00e9 https:\\/\\/x.example\\/\",\n    \"anthropic\": \"{ANTHROPIC_KEY}\"\n  }}\n}}"
    );
    assert!(serde_json::from_str::<serde_json::Value>(&doc).is_ok());
    let ids = redact_levels(json!([{"type": "text", "text": doc}]), &[ANTHROPIC_KEY]);
    assert_eq!(ids, ["anthropic-api-key"]);
    // The same document in structuredContent, and as a plain `KEY=value` line in the text.
    let ids = redact_levels(
        json!({"content": [{"type": "text", "text": format!("export ANTHROPIC_API_KEY=\\\"{ANTHROPIC_KEY}\\\"")}],
               "structuredContent": {"result": doc}}),
        &[ANTHROPIC_KEY],
    );
    assert_eq!(ids.len(), 2, "{ids:?}");
}

#[test]
fn anthropic_key_in_nested_json_strings() {
    use serde_json::json;
    // A document in a string in a document in the Bash output (`curl` of an API whose body
    // field is JSON text): the key is escaped twice over around it.
    let inner =
        json!({"env": {"ANTHROPIC_API_KEY": ANTHROPIC_KEY}, "cmd": "run \"x\"\n"}).to_string();
    let middle = json!({"status": 200, "body": inner}).to_string();
    let outer = json!({"items": [{"log": middle}]}).to_string();
    for text in [inner, middle, outer] {
        let ids = redact_levels(
            json!({"stdout": text, "stderr": "", "interrupted": false}),
            &[ANTHROPIC_KEY],
        );
        assert_eq!(ids, ["anthropic-api-key"], "{text}");
    }
}

#[test]
fn escaped_only_formats_are_found_inside_json_documents() {
    use serde_json::json;
    // Formats whose rule needs line structure or plain quotes (a .netrc entry, a PuTTY key, a
    // service-account file, nuget.config), missed when their text arrived JSON-escaped.
    let key_body = "qQmOR69pYamt7uzPVZDo7uR60dIRqITxh7BmiGAj4uDPuhV1C1vVsw9877v3i2J4\nFd5QZvea64dR57HX64ZpvO59Q7kBCvZnZQP5GwI1pMCIuHLt5Et9pFBY2CK08Z8C\nPWTRWQQmq/CDjwNGBE/G/xE+VuBQofHhCeTYQLOP";
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{key_body}\n-----END PRIVATE KEY-----\n");
    let service_account = serde_json::to_string_pretty(&json!({
        "type": "service_account",
        "project_id": "demo-project",
        "private_key_id": "7e8201acdb19e90dc0bc0487faa7afa0b7a153ca",
        "private_key": pem,
        "client_email": "svc@demo-project.iam.gserviceaccount.com"
    }))
    .unwrap();
    let netrc = "machine api.example.com\n  login bob\n  password xAPJ7OyWa62E4V1KOo\n";
    let putty = "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: k\nPublic-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAIBq4Xw3c0n1n0fTqL8b5Jk9y6Vb5mXzR1H2vQpLq8w3Z\nZ3Xx\nPrivate-Lines: 1\nAAAAIGq9Rk2wXv7Lm4Pz8Tn3Qc6Yh1Js5Bd0Fe7Ug9Ka2Mx4\nPrivate-MAC: 5f1c2e9a7b3d4c6e8f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4\n";
    let nuget = "<packageSourceCredentials><feed><add key=\"Username\" value=\"ci\" /><add key=\"ClearTextPassword\" value=\"Fd5QZvea64dR57HX\" /></feed></packageSourceCredentials>";
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "service account",
            &service_account,
            &[
                "7e8201acdb19e90dc0bc0487faa7afa0b7a153ca",
                "qQmOR69pYamt7uzPVZDo7uR60dIRqITxh7BmiGAj4uDP",
            ],
        ),
        (".netrc", netrc, &["xAPJ7OyWa62E4V1KOo"]),
        (
            "PuTTY",
            putty,
            &["AAAAIGq9Rk2wXv7Lm4Pz8Tn3Qc6Yh1Js5Bd0Fe7Ug9Ka2Mx4"],
        ),
        ("nuget.config", nuget, &["Fd5QZvea64dR57HX"]),
    ];
    for (name, text, secrets) in cases {
        let doc = json!({"path": "/p/file", "content": text}).to_string();
        let twice = json!({"result": doc}).to_string();
        for response in [
            json!([{"type": "text", "text": doc}]),
            json!([{"type": "text", "text": twice}]),
            json!({"stdout": twice, "stderr": ""}),
            json!({"structuredContent": {"file": {"content": text}}}),
        ] {
            let ids = redact_levels(response.clone(), secrets);
            assert!(!ids.is_empty(), "{name}: {response}");
        }
    }
}

#[test]
fn an_escape_is_never_cut_by_a_redaction() {
    // A finding in the unescaped view that starts or ends next to an escape maps back over
    // whole escapes: the redacted document still parses, whatever escapes surround the key.
    for (before, after) in [
        ("\\\"", "\\\""),
        ("\\n", "\\n"),
        ("\\u0020", "\\u002c"),
        ("\\/", "\\t"),
        ("\\\\\\\"", "\\\\\\\""),
    ] {
        let doc = format!("{{\"a\": \"{before}{ANTHROPIC_KEY}{after}\"}}");
        assert!(
            serde_json::from_str::<serde_json::Value>(&doc).is_ok(),
            "{doc}"
        );
        let (red, f) = builtin().redact(&doc);
        assert_eq!(f.len(), 1, "{doc}");
        let parsed: serde_json::Value = serde_json::from_str(&red).unwrap();
        assert!(!parsed["a"].as_str().unwrap().contains(ANTHROPIC_KEY));
        assert!(red.contains(before) && red.contains(after), "{red}");
    }
}

#[test]
fn vault_legacy_tokens_without_two_digits_are_found_and_identifiers_are_not() {
    // One random base62 draw in twelve has fewer than two digits (the documented-format
    // report missed them); identifiers after `s.` in a text about vault tokens still pass.
    assert_found(
        "vault-token-legacy",
        "VAULT_TOKEN=s.TzaLFXiRcClGCnJUrmTpNchC",
        "s.TzaLFXiRcClGCnJUrmTpNchC",
    );
    assert_found(
        "vault-token-legacy",
        "vault login s.Xk9hfQmzLpWrTvBnQaYcDeFg",
        "s.Xk9hfQmzLpWrTvBnQaYcDeFg",
    );
    for code in [
        "const token = s.createDocumentFragmentAt(vault);",
        "vault token: s.tokenVaultConfigLoaderAB",
        "vault: s.SessionTokenProviderFactory",
    ] {
        assert!(
            !ids(code).iter().any(|r| r == "vault-token-legacy"),
            "{code}: {:?}",
            ids(code)
        );
    }
}

/// Documentation hosts (`example.com`, `.example`, `.test`) keep typed example passwords out,
/// not generated ones: a sample of a documented format, or a config copied from one, carries
/// a real-looking password there (the lead's own probe in session 6 missed
/// `postgresql://app_user:P4CG…@db.internal.example`).
#[test]
fn generated_password_on_a_documentation_host_is_a_secret() {
    for (text, pass) in [
        (
            "DATABASE_URL=postgresql://app_user:P4CGm9eSvmgIx4fl@db.internal.example:5432/prod",
            "P4CGm9eSvmgIx4fl",
        ),
        (
            "const u = new URL('https://svc:Kq9x7TzL2mPw@api.example.com/v1');",
            "Kq9x7TzL2mPw",
        ),
        (
            "amqps://svc:SS31RrWf3o6BY0A0Q5@mq.example.net/vhost",
            "SS31RrWf3o6BY0A0Q5",
        ),
    ] {
        assert_found("url-password", text, pass);
    }
}

/// Random letter case is a generated value even with few digits: these were taken for
/// word-made identifiers (`word_share` counts `y` as a vowel and random text holds short
/// pronounceable pieces) and left in.
#[test]
fn random_case_values_with_few_digits_are_secrets() {
    for (rule, text, secret) in [
        (
            "generic-secret",
            "api_key = \"HDhjhyYyHIlz6zfSYpCUKXWuVgdaZ\"",
            "HDhjhyYyHIlz6zfSYpCUKXWuVgdaZ",
        ),
        (
            "generic-secret",
            "DB_PASSWORD=ECAdQlktKrrjfZk",
            "ECAdQlktKrrjfZk",
        ),
        (
            "generic-secret",
            "SMTP_PASSWORD=@QyeudQZarkzCt",
            "@QyeudQZarkzCt",
        ),
        (
            "generic-secret",
            "password: \"#AEBuDBK_OFgt_Ng\"",
            "#AEBuDBK_OFgt_Ng",
        ),
        (
            "generic-secret",
            "DB_PASSWORD=xFTlab.rKZvqcb_I",
            "xFTlab.rKZvqcb_I",
        ),
        (
            "url-password",
            "postgresql://admin:*NYVQknD7SPBZUsyvKUEO@10.0.0.5/prod",
            "*NYVQknD7SPBZUsyvKUEO",
        ),
        (
            "authorization-header",
            "Authorization: Bearer JsB6G6cHsyGW6gWjLEUIwlkryEBWI9Oks",
            "JsB6G6cHsyGW6gWjLEUIwlkryEBWI9Oks",
        ),
    ] {
        assert_found(rule, text, secret);
    }
    // Names keep their exemption: camel case has long lower-case runs or few capitals.
    for text in [
        "token: SpFormatCredentialsFn",
        "token = getUserAccountSettingsV2",
        "secret: HTTPServerURLHandler",
        "api_key = XMLHttpRequestUpload",
        "password: *db_password_alias",
        "password: !Ref DbPasswordParam",
        "token = settings.SECRET_TOKEN_NAME",
    ] {
        assert_clean(text);
    }
}
