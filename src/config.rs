//! Layered settings: the embedded `config/default.toml`, then `--config FILE`, then
//! `PLEDGEFLOW__SECTION__KEY` environment variables. The default file lists every key, so a key
//! it lacks is unknown, and unknown keys are refused by name (a typo must not pass silently).
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use toml::{Table, Value};

pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");
const ENV_PREFIX: &str = "PLEDGEFLOW__";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub mail: MailSettings,
    pub links: LinkSettings,
    pub reminders: ReminderSettings,
    pub attachments: AttachmentSettings,
    pub demo: DemoSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    pub base_url: String,
    pub max_body_bytes: usize,
    /// A client must send a request's headers within this many seconds.
    pub header_read_timeout_seconds: u64,
    /// Draft saves one officer session may make in a minute (autosave and the form's Save).
    pub officer_saves_per_minute: u32,
    /// Reverse proxies (addresses or CIDR blocks) whose `X-Forwarded-For` / `Forwarded`
    /// header names the client; from any other peer those headers are ignored.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// When set, `/metrics` answers only requests carrying `Authorization: Bearer <token>`.
    #[serde(default)]
    pub metrics_token: Secret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: Secret,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    File,
    Smtp,
}

impl MailSettings {
    /// The SMTP URL as lettre takes it. A user name and password over a connection without
    /// TLS (`smtp://` with no `tls=required`) is refused unless `tls=none` says so on purpose;
    /// lettre itself has no `tls=none`, so that word is taken off here.
    pub fn smtp_url_for_transport(&self) -> Result<String, String> {
        let url = self.smtp_url.expose();
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
        let tls = params.iter().find_map(|p| p.strip_prefix("tls="));
        let plain = base.starts_with("smtp://");
        let credentials = base
            .split_once("://")
            .is_some_and(|(_, rest)| rest.split('/').next().unwrap_or_default().contains('@'));
        if plain && credentials && tls.is_none() {
            return Err(format!(
                "mail.smtp_url {} sends a password without TLS: use smtps://, add ?tls=required, or write ?tls=none to accept it",
                self.smtp_url
            ));
        }
        let kept: Vec<&str> = params.into_iter().filter(|p| *p != "tls=none").collect();
        Ok(if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub file_dir: String,
    pub smtp_url: Secret,
    pub from: String,
    pub poll_interval_ms: u64,
    pub max_attempts: i32,
    /// Messages sent at once (and SMTP connections kept open).
    pub parallel_sends: usize,
}

impl MailSettings {
    /// The bare address of `from`: `pledges@example.org` out of `Secretariat <pledges@example.org>`.
    pub fn from_address(&self) -> &str {
        self.from
            .rsplit_once('<')
            .map(|(_, a)| a.trim_end_matches('>'))
            .unwrap_or(&self.from)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSettings {
    pub grace_days: i64,
    pub session_hours: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderSettings {
    pub interval_seconds: u64,
    pub steps: String,
    pub changes_steps: String,
    pub window: String,
    pub weekdays: String,
    pub daily_cap: usize,
}

impl ReminderSettings {
    /// The default policy, which a new campaign starts from.
    pub fn policy_settings(&self) -> crate::domain::reminders::PolicySettings {
        crate::domain::reminders::PolicySettings {
            steps: self.steps.clone(),
            changes_steps: self.changes_steps.clone(),
            window: self.window.clone(),
            weekdays: self.weekdays.clone(),
            daily_cap: self.daily_cap,
        }
    }

    pub fn policy(&self) -> Result<crate::domain::reminders::Policy, String> {
        self.policy_settings().policy()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentSettings {
    pub dir: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    pub load: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

/// A value that may carry a password (database and SMTP URLs). Debug and Display show the
/// URL with its password replaced, so logging the settings never leaks it.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    fn redacted(&self) -> String {
        // scheme://user:password@host → scheme://user:***@host
        let mut shown = match self.0.split_once("://") {
            Some((scheme, rest)) => match rest.rsplit_once('@') {
                Some((credentials, host)) => {
                    let user = credentials.split(':').next().unwrap_or_default();
                    format!("{scheme}://{user}:***@{host}")
                }
                None => self.0.clone(),
            },
            None => self.0.clone(),
        };
        // …?password=… (or pass=, secret=, token=) → …?password=***
        if let Some((base, query)) = shown.clone().split_once('?') {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _))
                        if ["password", "pass", "pwd", "secret", "token", "key"]
                            .iter()
                            .any(|k| name.to_ascii_lowercase().contains(k)) =>
                    {
                        format!("{name}=***")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            shown = format!("{base}?{}", pairs.join("&"));
        }
        shown
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {cause}")]
    Read { path: String, cause: std::io::Error },
    #[error("config file {path} is not valid TOML: {cause}")]
    Parse { path: String, cause: String },
    #[error("unknown config key `{key}` (from {origin})")]
    UnknownKey { key: String, origin: String },
    #[error("config key `{key}` (from {origin}) must be {expected}")]
    WrongType {
        key: String,
        origin: String,
        expected: String,
    },
    #[error("config key `{key}` (from {origin}): {cause}")]
    BadValue {
        key: String,
        origin: String,
        cause: String,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Loads the layers from the real environment.
    pub fn load(config_file: Option<&Path>) -> Result<Settings, ConfigError> {
        let file = match config_file {
            Some(path) => Some((
                path.display().to_string(),
                std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
                    path: path.display().to_string(),
                    cause,
                })?,
            )),
            None => None,
        };
        let env: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX))
            .collect();
        Settings::from_layers(file.as_ref().map(|(p, t)| (p.as_str(), t.as_str())), &env)
    }

    /// Merges the layers; `file` is (name, TOML text); `env` are (NAME, value) pairs.
    pub fn from_layers(
        file: Option<(&str, &str)>,
        env: &[(String, String)],
    ) -> Result<Settings, ConfigError> {
        let mut merged: Table = DEFAULT_TOML.parse().expect("embedded default.toml is valid TOML");
        // Where each key's value came from, for the errors; the defaults when absent.
        let mut origins: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        if let Some((path, text)) = file {
            // The line number and the reason, never the line itself: it may hold a password.
            let layer: Table = text.parse().map_err(|e: toml::de::Error| ConfigError::Parse {
                path: path.into(),
                cause: match e.span() {
                    Some(span) => format!(
                        "line {}: {}",
                        text[..span.start].lines().count().max(1),
                        e.message()
                    ),
                    None => e.message().to_string(),
                },
            })?;
            merge(
                &mut merged,
                layer,
                "",
                &format!("config file {path}"),
                &mut origins,
            )?;
        }
        for (name, raw) in env {
            let Some(path) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let parts: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
            let origin = format!("environment variable {name}");
            let (section, key) = match parts.as_slice() {
                [section, key] => (section, key),
                _ => {
                    return Err(ConfigError::UnknownKey {
                        key: parts.join("."),
                        origin,
                    });
                }
            };
            let slot = merged
                .get_mut(section)
                .and_then(Value::as_table_mut)
                .and_then(|t| t.get_mut(key))
                .ok_or_else(|| ConfigError::UnknownKey {
                    key: format!("{section}.{key}"),
                    origin: origin.clone(),
                })?;
            *slot = env_value(raw, slot, &format!("{section}.{key}"), &origin)?;
            origins.insert(format!("{section}.{key}"), origin);
        }
        let settings: Settings = serde_path_to_error::deserialize(Value::Table(merged)).map_err(
            |e: serde_path_to_error::Error<toml::de::Error>| {
                let key = e.path().to_string();
                ConfigError::BadValue {
                    origin: origins
                        .get(&key)
                        .cloned()
                        .unwrap_or_else(|| "the embedded defaults".into()),
                    cause: e.into_inner().message().to_string(),
                    key,
                }
            },
        )?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let url = self.database.url.expose();
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid(format!(
                "database.url must start with sqlite: or postgres:// (got {})",
                self.database.url
            )));
        }
        // Every e-mailed link starts with base_url: a relative or mistyped one breaks them all.
        let base = &self.server.base_url;
        let host = base
            .strip_prefix("https://")
            .or_else(|| base.strip_prefix("http://"))
            .map(|rest| rest.split('/').next().unwrap_or_default());
        if host.is_none_or(|h| h.is_empty() || h.starts_with(':')) || base.chars().any(char::is_whitespace) {
            return Err(ConfigError::Invalid(format!(
                "server.base_url must be an absolute http(s) address such as https://pledges.example.org (got `{base}`)"
            )));
        }
        if self.server.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "server.bind must be an address and port such as 127.0.0.1:8080 (got {})",
                self.server.bind
            )));
        }
        self.reminders
            .policy()
            .map_err(|e| ConfigError::Invalid(format!("reminders: {e}")))?;
        if self.mail.transport == MailTransport::Smtp {
            self.mail.smtp_url_for_transport().map_err(ConfigError::Invalid)?;
        }
        if !(1..=100).contains(&self.mail.parallel_sends) {
            return Err(ConfigError::Invalid(format!(
                "mail.parallel_sends must be between 1 and 100 (got {})",
                self.mail.parallel_sends
            )));
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::Invalid(
                "database.max_connections must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// Overlays `layer` onto `base`, refusing keys `base` does not have and changes of type.
fn merge(
    base: &mut Table,
    layer: Table,
    prefix: &str,
    origin: &str,
    origins: &mut std::collections::HashMap<String, String>,
) -> Result<(), ConfigError> {
    for (key, value) in layer {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let Some(slot) = base.get_mut(&key) else {
            return Err(ConfigError::UnknownKey {
                key: full,
                origin: origin.into(),
            });
        };
        match (slot, value) {
            (Value::Table(inner), Value::Table(layer_inner)) => {
                merge(inner, layer_inner, &full, origin, origins)?
            }
            (slot, value) if slot.same_type(&value) => {
                *slot = value;
                origins.insert(full, origin.into());
            }
            (slot, _) => {
                return Err(ConfigError::WrongType {
                    key: full,
                    origin: origin.into(),
                    expected: slot.type_str().to_string(),
                });
            }
        }
    }
    Ok(())
}

/// An environment value takes the type of the default it replaces.
fn env_value(raw: &str, default: &Value, key: &str, origin: &str) -> Result<Value, ConfigError> {
    let wrong = || ConfigError::WrongType {
        key: key.into(),
        origin: origin.into(),
        expected: default.type_str().to_string(),
    };
    Ok(match default {
        Value::String(_) => Value::String(raw.to_string()),
        Value::Integer(_) => Value::Integer(raw.trim().parse().map_err(|_| wrong())?),
        Value::Boolean(_) => Value::Boolean(match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => true,
            "false" | "0" | "no" | "off" => false,
            _ => return Err(wrong()),
        }),
        _ => return Err(wrong()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_the_embedded_development_setup() {
        let s = Settings::from_layers(None, &[]).unwrap();
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert_eq!(s.database.url.expose(), "sqlite://data/pledgeflow.db");
        assert_eq!(s.mail.transport, MailTransport::File);
        assert_eq!(s.mail.file_dir, "data/mail");
        assert!(s.demo.load);
    }

    #[test]
    fn file_then_environment_override() {
        let file = "[server]\nbind = \"0.0.0.0:9000\"\n[demo]\nload = false\n";
        let s = Settings::from_layers(
            Some(("prod.toml", file)),
            &env(&[
                ("PLEDGEFLOW__SERVER__BIND", "127.0.0.1:9001"),
                ("PLEDGEFLOW__DATABASE__MAX_CONNECTIONS", "3"),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.bind, "127.0.0.1:9001");
        assert_eq!(s.database.max_connections, 3);
        assert!(!s.demo.load);
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = Settings::from_layers(Some(("x.toml", "[server]\nbnd = \"x\"\n")), &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown config key `server.bnd` (from config file x.toml)"
        );
        let err = Settings::from_layers(None, &env(&[("PLEDGEFLOW__MAIL__FORM", "x")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown config key `mail.form` (from environment variable PLEDGEFLOW__MAIL__FORM)"
        );
        let err = Settings::from_layers(Some(("x.toml", "[cache]\nsize = 1\n")), &[]).unwrap_err();
        assert!(err.to_string().contains("`cache`"));
    }

    #[test]
    fn a_value_outside_a_list_of_choices_names_its_key_and_where_it_came_from() {
        let err = Settings::from_layers(None, &env(&[("PLEDGEFLOW__MAIL__TRANSPORT", "smtpp")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "config key `mail.transport` (from environment variable PLEDGEFLOW__MAIL__TRANSPORT): unknown variant `smtpp`, expected `file` or `smtp`"
        );
        let err =
            Settings::from_layers(Some(("prod.toml", "[mail]\ntransport = \"SMTP\"\n")), &[]).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "config key `mail.transport` (from config file prod.toml): unknown variant `SMTP`"
            ),
            "{err}"
        );
    }

    #[test]
    fn wrong_types_and_values_are_explained() {
        let err = Settings::from_layers(None, &env(&[("PLEDGEFLOW__DEMO__LOAD", "perhaps")])).unwrap_err();
        assert!(
            err.to_string().contains("`demo.load`") && err.to_string().contains("boolean"),
            "{err}"
        );
        let err =
            Settings::from_layers(Some(("x.toml", "[mail]\ntransport = \"pigeon\"\n")), &[]).unwrap_err();
        assert!(err.to_string().contains("pigeon"), "{err}");
        let err =
            Settings::from_layers(None, &env(&[("PLEDGEFLOW__DATABASE__URL", "mysql://x")])).unwrap_err();
        assert!(err.to_string().contains("database.url"), "{err}");
    }

    #[test]
    fn secrets_are_never_printed() {
        let s = Settings::from_layers(
            None,
            &env(&[
                ("PLEDGEFLOW__DATABASE__URL", "postgres://app:hunter2@db:5432/pf"),
                (
                    "PLEDGEFLOW__MAIL__SMTP_URL",
                    "smtps://mailer:s3cret@smtp.example.org:465",
                ),
            ]),
        )
        .unwrap();
        let printed = format!("{s:?} {} {}", s.database.url, s.mail.smtp_url);
        assert!(
            !printed.contains("hunter2") && !printed.contains("s3cret"),
            "{printed}"
        );
        assert!(printed.contains("postgres://app:***@db:5432/pf"));
        assert_eq!(s.database.url.expose(), "postgres://app:hunter2@db:5432/pf");
        // A password passed as a URL parameter is hidden too.
        let in_query = Secret::new("postgres://db:5432/pf?user=app&password=hunter2&sslmode=require");
        assert_eq!(
            in_query.to_string(),
            "postgres://db:5432/pf?user=app&password=***&sslmode=require"
        );
    }

    #[test]
    fn base_url_must_be_an_absolute_http_address() {
        for bad in [
            "pledges.example.org",
            "/pledges",
            "https://",
            "http:// spaced.org",
            "ftp://x.org",
        ] {
            let err = Settings::from_layers(None, &env(&[("PLEDGEFLOW__SERVER__BASE_URL", bad)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains("server.base_url"), "{bad}: {err}");
        }
        for good in [
            "https://pledges.example.org",
            "http://127.0.0.1:8080",
            "https://example.org/pledges",
        ] {
            assert!(
                Settings::from_layers(None, &env(&[("PLEDGEFLOW__SERVER__BASE_URL", good)])).is_ok(),
                "{good}"
            );
        }
    }

    #[test]
    fn smtp_passwords_need_tls_unless_refused_on_purpose() {
        let with = |url: &str| {
            Settings::from_layers(
                None,
                &env(&[
                    ("PLEDGEFLOW__MAIL__TRANSPORT", "smtp"),
                    ("PLEDGEFLOW__MAIL__SMTP_URL", url),
                ]),
            )
        };
        let err = with("smtp://mailer:s3cret@smtp.example.org:587")
            .unwrap_err()
            .to_string();
        assert!(err.contains("without TLS") && !err.contains("s3cret"), "{err}");
        assert!(with("smtp://mailer:s3cret@smtp.example.org:587?tls=required").is_ok());
        assert!(with("smtps://mailer:s3cret@smtp.example.org:465").is_ok());
        assert!(
            with("smtp://127.0.0.1:2525").is_ok(),
            "no password, nothing to protect"
        );
        let chosen = with("smtp://mailer:s3cret@relay.internal:25?tls=none").unwrap();
        assert_eq!(
            chosen.mail.smtp_url_for_transport().unwrap(),
            "smtp://mailer:s3cret@relay.internal:25"
        );
    }

    #[test]
    fn a_syntax_error_names_the_line_not_its_content() {
        let file = "[database]\nurl = \"postgres://app:hunter2@db/pf\nmax_connections = 5\n";
        let err = Settings::from_layers(Some(("/etc/pledgeflow.toml", file)), &[]).unwrap_err();
        let printed = err.to_string();
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(
            printed.contains("/etc/pledgeflow.toml") && printed.contains("line 2"),
            "{printed}"
        );
    }
}
