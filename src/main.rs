//! The command line: serve (the default), migrate, seed, user add.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use secrecy::SecretString;

use nattplats::config::{STOCKHOLM_2019, Settings};
use nattplats::domain::Role;
use nattplats::service::users::{NewUser, check_password, check_username};
use nattplats::startup::Application;
use nattplats::{db, telemetry};

#[derive(Parser)]
#[command(
    name = "nattplats",
    version,
    about = "Night-shelter places and check-in"
)]
struct Cli {
    /// A TOML settings file (default: $NATTPLATS_CONFIG, or ./nattplats.toml if it exists).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (the default).
    Serve,
    /// Apply pending database migrations and stop.
    Migrate,
    /// Load a named data set into an empty database.
    Seed {
        #[arg(value_parser = [STOCKHOLM_2019])]
        name: String,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Intake by lottery.
    Lottery {
        #[command(subcommand)]
        command: LotteryCommand,
    },
}

#[derive(Subcommand)]
enum LotteryCommand {
    /// Replay a draw from its recorded seed and applicants and compare.
    /// Exits 0 when every outcome matches, 1 otherwise.
    Verify { session: String },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. The password is read from NATTPLATS_NEW_PASSWORD, so it
    /// never stands in the shell history.
    Add {
        username: String,
        /// admin, coordinator, shelter_staff, social_emergency, outreach (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<Role>,
        /// A shelter id the user works at (repeatable).
        #[arg(long = "shelter")]
        shelters: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("nattplats: configuration: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&settings),
        Command::Migrate => migrate(&settings),
        Command::Seed { .. } => seed(&settings),
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    roles,
                    shelters,
                },
        } => add_user(&settings, username, roles, shelters),
        Command::Lottery {
            command: LotteryCommand::Verify { session },
        } => verify_lottery(&settings, &session),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nattplats: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: &Settings) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let app = Application::build(settings)?;
        tracing::info!(port = app.port(), "nattplats is listening");
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn connect(settings: &Settings) -> anyhow::Result<db::PooledConn> {
    let pool = db::build_pool(&settings.database, 1);
    pool.get()
        .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))
}

fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let mut conn = connect(settings)?;
    let n = db::run_migrations(&mut conn)?;
    println!("applied {n} migration(s); the database is up to date");
    Ok(())
}

fn seed(settings: &Settings) -> anyhow::Result<()> {
    let mut conn = connect(settings)?;
    db::run_migrations(&mut conn)?;
    db::seed::stockholm_2019(&mut conn, chrono::Utc::now().naive_utc())?;
    println!("loaded {STOCKHOLM_2019}: 4 organisations, 3 shelters, 115 places (20 for women)");
    Ok(())
}

fn add_user(
    settings: &Settings,
    username: String,
    roles: Vec<Role>,
    shelters: Vec<String>,
) -> anyhow::Result<()> {
    let username = check_username(&username).map_err(|m| anyhow::anyhow!("username {m}"))?;
    let password = std::env::var("NATTPLATS_NEW_PASSWORD")
        .map_err(|_| anyhow::anyhow!("set NATTPLATS_NEW_PASSWORD to the new user's password"))?;
    check_password(&password).map_err(|m| anyhow::anyhow!("password {m}"))?;
    if roles.contains(&Role::ShelterStaff) && shelters.is_empty() {
        anyhow::bail!("shelter_staff needs at least one --shelter");
    }
    let mut conn = connect(settings)?;
    db::run_migrations(&mut conn)?;
    let row = nattplats::service::users::create(
        &mut conn,
        NewUser {
            username,
            password: SecretString::from(password),
            roles,
            shelter_ids: shelters,
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("created user {} ({})", row.username, row.id);
    Ok(())
}

fn verify_lottery(settings: &Settings, session: &str) -> anyhow::Result<()> {
    let mut conn = connect(settings)?;
    let v = nattplats::service::lottery::verify(&mut conn, session)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if v.matches {
        println!(
            "draw {} with seed {}: every outcome matches the replay",
            v.session_id, v.seed
        );
        Ok(())
    } else {
        anyhow::bail!(
            "draw {} with seed {}: the replay differs for {} applicant(s): {}",
            v.session_id,
            v.seed,
            v.mismatches.len(),
            v.mismatches.join(", ")
        )
    }
}
