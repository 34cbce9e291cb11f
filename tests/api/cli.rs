//! The command line: migrate, seed, user add, and a wrong setting.

use std::process::Command;

use crate::helpers::*;

fn nattplats(dir: &std::path::Path, url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nattplats"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn");
    cmd
}

fn url_of(url: &nattplats::config::DatabaseUrl) -> String {
    match url {
        nattplats::config::DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
        nattplats::config::DatabaseUrl::Postgres(s) => {
            secrecy::ExposeSecret::expose_secret(s).to_owned()
        }
    }
}

backend_tests! {
    async fn migrate_seed_and_add_a_user(b: Backend) {
        let (_db, url) = TestDb::new(b);
        let url = url_of(&url);
        let dir = tempfile::tempdir().unwrap();
        let out = nattplats(dir.path(), &url).arg("migrate").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let out = nattplats(dir.path(), &url).args(["seed", "stockholm-2019"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("115 places"));
        // A second seed is refused: the database is not empty.
        let out = nattplats(dir.path(), &url).args(["seed", "stockholm-2019"]).output().unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("empty database"));
        // A user without a password is refused; with one, created.
        let out = nattplats(dir.path(), &url)
            .args(["user", "add", "night.coord", "--role", "coordinator"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("NATTPLATS_NEW_PASSWORD"));
        let out = nattplats(dir.path(), &url)
            .args(["user", "add", "night.coord", "--role", "coordinator"])
            .env("NATTPLATS_NEW_PASSWORD", "a-long-password-1")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let out = nattplats(dir.path(), &url)
            .args(["user", "add", "desk", "--role", "shelter_staff"])
            .env("NATTPLATS_NEW_PASSWORD", "a-long-password-1")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let out = nattplats(dir.path(), &url)
            .args(["user", "add", "desk", "--role", "janitor"])
            .env("NATTPLATS_NEW_PASSWORD", "a-long-password-1")
            .output()
            .unwrap();
        assert!(!out.status.success());
    }
}

#[test]
fn a_wrong_setting_stops_the_start_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = nattplats(dir.path(), "sqlite://x.db")
        .env("NATTPLATS_TOKEN_TTL_SECONDS", "forever")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("token_ttl_seconds") || err.contains("TOKEN_TTL"),
        "{err}"
    );
    assert!(!dir.path().join("x.db").exists(), "nothing was created");
}
