//! Loading configuration: files, profiles, `KEEL_…` overrides, errors.
use super::*;

const SERVICE: ServiceInfo =
    ServiceInfo { name: "demo", id: 7, port: 8007, prefix: "demo", version: "1.00.00" };

struct Home(PathBuf);

impl Home {
    fn new(test: &str) -> Home {
        let dir = std::env::temp_dir().join(format!("keel-config-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = dir.join("services/demo/config");
        std::fs::create_dir_all(&config).expect("create temp config dir");
        Home(dir)
    }
    fn file(&self, name: &str, text: &str) -> &Self {
        std::fs::write(self.0.join("services/demo/config").join(name), text).expect("write config");
        self
    }
    fn load(&self, profile: Option<&str>, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let sources = ConfigSources {
            home: self.0.clone(),
            profile: profile.map(str::to_owned),
            env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        };
        Config::load(&SERVICE, &sources)
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn no_file_gives_the_embedded_defaults() {
    let config = Home::new("none").load(None, &[]).expect("defaults");
    assert_eq!(config, Config::default());
    assert_eq!(config.port(&SERVICE), 8007);
}

#[test]
fn layers_override_in_order_file_profile_env() {
    let home = Home::new("layers");
    home.file("default.toml", "[server]\nport = 9001\nbind = \"127.0.0.1\"\n[log]\nkeep = 3\n")
        .file("prod.toml", "[server]\nport = 9002\n");
    let config = home.load(None, &[]).expect("file");
    assert_eq!(
        (config.server.port, config.server.bind.as_str(), config.log.keep),
        (Some(9001), "127.0.0.1", 3)
    );
    let config = home.load(Some("prod"), &[]).expect("profile");
    assert_eq!((config.server.port, config.server.bind.as_str()), (Some(9002), "127.0.0.1"));
    let config = home.load(Some("prod"), &[("KEEL_SERVER__PORT", "9003")]).expect("env");
    assert_eq!(config.server.port, Some(9003));
}

#[test]
fn backends_take_a_url_or_a_table_from_any_layer() {
    let home = Home::new("backends");
    let config = home
        .load(
            None,
            &[
                ("KEEL_DATABASE__DEFAULT", "mysql://root:@127.0.0.1:3306/test"),
                ("KEEL_DATABASE__DEFAULT__POOL_SIZE", "16"),
                ("KEEL_CACHE__DEFAULT", "redis://127.0.0.1:6379/"),
            ],
        )
        .expect("env backends");
    let BackendEntry::Table(db) = &config.database["default"] else { panic!("{config:?}") };
    assert_eq!((db.url.as_str(), db.pool_size), ("mysql://root:@127.0.0.1:3306/test", Some(16)));
    assert_eq!(config.cache["default"], BackendEntry::Url("redis://127.0.0.1:6379/".to_owned()));
}

#[derive(Debug, Default, Deserialize, PartialEq, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
struct Admin {
    username: Option<String>,
    password: Option<String>,
}

#[test]
fn a_service_owns_its_sections_and_gets_environment_text_as_written() {
    let home = Home::new("sections");
    home.file("default.toml", "[admin]\nusername = \"root\"\n");
    let sources = ConfigSources {
        home: home.0.clone(),
        profile: None,
        env: vec![("KEEL_ADMIN__PASSWORD".to_owned(), "000012345678".to_owned())],
    };
    // Undeclared, `[admin]` is an unknown key like any other.
    let err = Config::load(&SERVICE, &sources).expect_err("undeclared section").to_string();
    assert!(err.contains("key `admin`") && err.contains("unknown field `admin`"), "{err}");
    let config = Config::load_with_sections(&SERVICE, &sources, &["admin"]).expect("declared");
    let admin: Admin = config.section("admin").expect("typed");
    assert_eq!(admin, Admin { username: Some("root".into()), password: Some("000012345678".into()) });
    // The service's type decides what is unknown inside it.
    home.file("default.toml", "[admin]\nusernme = \"root\"\n");
    let config = Config::load_with_sections(&SERVICE, &sources, &["admin"]).expect("read");
    let err = config.section::<Admin>("admin").expect_err("typo").to_string();
    assert!(err.contains("`admin") && err.contains("usernme"), "{err}");
    let mut set = Config::default();
    set.set_section("admin", &admin).expect("serializable");
    assert_eq!(set.section::<Admin>("admin").expect("typed"), admin);
}

#[test]
fn unknown_keys_are_refused_naming_key_and_source() {
    let home = Home::new("unknown");
    home.file("default.toml", "[server]\nprot = 1\n");
    let err = home.load(None, &[]).expect_err("unknown key in file").to_string();
    assert!(err.contains("`server.prot`") && err.contains("default.toml"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let home = Home::new("unknown-env");
    let err = home.load(None, &[("KEEL_SERVER__PROT", "1")]).expect_err("unknown env key").to_string();
    assert!(err.contains("`server.prot`") && err.contains("KEEL_SERVER__PROT"), "{err}");
    let err = home.load(None, &[("KEEL_NOPE", "1")]).expect_err("unknown section").to_string();
    assert!(err.contains("`nope`") && err.contains("KEEL_NOPE"), "{err}");
}

#[test]
fn bad_values_are_refused_naming_key_and_source() {
    let home = Home::new("bad");
    let err = home.load(None, &[("KEEL_SERVER__PORT", "eighty")]).expect_err("bad port").to_string();
    assert!(err.contains("`server.port`") && err.contains("KEEL_SERVER__PORT"), "{err}");
    let err = home.load(None, &[("KEEL_SERVER__PORT", "70000")]).expect_err("port range").to_string();
    assert!(err.contains("`server.port`"), "{err}");
    home.file("default.toml", "[log]\nlevel = \"loud\"\n");
    let err = home.load(None, &[]).expect_err("bad level").to_string();
    assert!(err.contains("`log.level`") && err.contains("default.toml") && err.contains("loud"), "{err}");
    let err = home
        .load(None, &[("KEEL_DATABASE__AUTO_UPGRADE", "true")])
        .expect_err("database setting one level too high")
        .to_string();
    assert!(
        err.contains("`database.auto_upgrade`")
            && err.contains("KEEL_DATABASE__AUTO_UPGRADE")
            && err.contains("KEEL_DATABASE__DEFAULT__AUTO_UPGRADE"),
        "{err}"
    );
    home.file("default.toml", "[database.default]\nurl = \"sqlite://x.db\"\npool = 4\n");
    let err = home.load(None, &[]).expect_err("unknown key in a database table").to_string();
    assert!(err.contains("`database.default.pool`") && err.contains("default.toml"), "{err}");
    home.file("default.toml", "[database.main]\nurl = \"sqlite://x.db\"\n");
    let err = home.load(None, &[]).expect_err("no default db").to_string();
    assert!(err.contains("`database`") && err.contains("`default`"), "{err}");
    home.file("default.toml", "[server\n");
    let err = home.load(None, &[]).expect_err("bad toml").to_string();
    assert!(err.contains("default.toml line 1"), "{err}");
    home.file("default.toml", "");
    let err = home.load(Some("staging"), &[]).expect_err("missing profile").to_string();
    assert!(err.contains("staging.toml"), "{err}");
}

#[test]
fn tables_and_lists_from_the_environment_replace_what_the_files_say() {
    let home = Home::new("inline");
    home.file("default.toml", "[log.levels]\ninfo = \"warn\"\n[database.default]\nurl = \"sqlite://a.db\"\n");
    let config = home
        .load(
            None,
            &[
                ("KEEL_LOG__LEVELS", r#"{ access = "off" }"#),
                ("KEEL_DATABASE__DEFAULT", r#"{ url = "mysql://root:@127.0.0.1:3306/test", pool_size = 4 }"#),
                ("KEEL_CACHE__DEFAULT", "redis://127.0.0.1:6379/"),
            ],
        )
        .expect("inline tables");
    assert_eq!(config.log.levels, [("access".to_owned(), LogLevel::Off)].into());
    match &config.database["default"] {
        BackendEntry::Table(table) => {
            assert_eq!((table.url.as_str(), table.pool_size), ("mysql://root:@127.0.0.1:3306/test", Some(4)));
        }
        other => panic!("{other:?}"),
    }
    // A URL over the file's table still sets only its url.
    let config = home.load(None, &[("KEEL_DATABASE__DEFAULT", "sqlite://b.db")]).expect("url over table");
    assert_eq!(config.database["default"].url(), "sqlite://b.db");
}

#[test]
fn wildcards_zero_deadlines_and_secrets_are_handled_at_boot() {
    let home = Home::new("refusals");
    let err =
        home.load(None, &[("KEEL_CORS__ALLOW_METHODS", r#"["*"]"#)]).expect_err("* methods").to_string();
    assert!(err.contains("`cors.allow_methods`") && err.contains("KEEL_CORS__ALLOW_METHODS"), "{err}");
    let err = home
        .load(
            None,
            &[
                ("KEEL_DATABASE__DEFAULT__URL", "sqlite://x.db"),
                ("KEEL_DATABASE__DEFAULT__QUERY_TIMEOUT_MS", "0"),
            ],
        )
        .expect_err("zero deadline")
        .to_string();
    assert!(err.contains("`database.default.query_timeout_ms`"), "{err}");
    // A URL one level too high is refused without printing its password.
    let err = home
        .load(None, &[("KEEL_DATABASE", "mysql://root:hunter2@db/test")])
        .expect_err("too high")
        .to_string();
    assert!(err.contains("`database`") && !err.contains("hunter2"), "{err}");
}
