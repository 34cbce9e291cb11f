//! The command line: serve (the default), migrate, seed, user add.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use secrecy::SecretString;

use nattplats::config::{STOCKHOLM_2019, Settings};
use nattplats::domain::Role;
use nattplats::domain::check_password;
use nattplats::service::users::{NewUser, check_username};
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
    /// Load a named data set: `stockholm-2019` into an empty database, or
    /// `large`, a system of the given size with a history of stays written
    /// in bulk (for benchmarks and load runs; adds to what is there).
    Seed {
        #[arg(value_parser = [STOCKHOLM_2019, LARGE])]
        name: String,
        #[command(flatten)]
        world: WorldArgs,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// An online, consistent copy of the SQLite database into a new file,
    /// while the service runs (PostgreSQL: use pg_dump).
    Backup { to: PathBuf },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Intake by lottery.
    Lottery {
        #[command(subcommand)]
        command: LotteryCommand,
    },
}

const LARGE: &str = "large";

/// The size of a `large` world.
#[derive(clap::Args)]
struct WorldArgs {
    #[arg(long, default_value_t = 1_000)]
    shelters: u32,
    #[arg(long, default_value_t = 100)]
    places_per_shelter: u32,
    #[arg(long, default_value_t = 1_000_000)]
    guests: u32,
    /// Nights of stays before tonight.
    #[arg(long, default_value_t = 365)]
    history_nights: u32,
    /// Share of places occupied, in percent.
    #[arg(long, default_value_t = 90)]
    occupancy: u32,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain of the audit trail. Exits 0 when every entry is
    /// as it was written, 1 naming each edited, removed or re-ordered one.
    Verify,
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
    limit_malloc_arenas();
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
        Command::Seed { name, world } if name == LARGE => seed_large(&settings, &world),
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
        Command::Audit {
            command: AuditCommand::Verify,
        } => verify_audit(&settings),
        Command::Backup { to } => backup(&settings, &to),
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

fn seed_large(settings: &Settings, args: &WorldArgs) -> anyhow::Result<()> {
    let world = db::bulk::World {
        shelters: args.shelters,
        places_per_shelter: args.places_per_shelter,
        guests: args.guests,
        history_nights: args.history_nights,
        occupancy_percent: args.occupancy,
    };
    db::bulk::check(&world).map_err(|m| anyhow::anyhow!("{m}"))?;
    let mut conn = connect(settings)?;
    db::run_migrations(&mut conn)?;
    let started = std::time::Instant::now();
    let now = chrono::Utc::now();
    let partnership = nattplats::startup::ensure_partnership(&mut conn, now.naive_utc())?;
    let tonight = partnership.calendar.night_of(now);
    let written = db::bulk::seed(
        &mut conn,
        &partnership,
        &world,
        tonight,
        now.naive_utc(),
        &mut |step| println!("{:>7.1} s  {step}", started.elapsed().as_secs_f64()),
    )?;
    println!(
        "wrote {} shelters, {} places, {} guests, {} stays, {} bookings (history from {}) in {:.1} s",
        written.shelters,
        written.places,
        written.guests,
        written.stays,
        written.bookings,
        tonight.plus(-i64::from(world.history_nights)),
        started.elapsed().as_secs_f64()
    );
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
    let new = NewUser {
        username,
        password: SecretString::from(password),
        roles,
        shelter_ids: shelters,
        external_sign_in: false,
    };
    let hash =
        nattplats::service::users::hash_password(&new).map_err(|e| anyhow::anyhow!("{e}"))?;
    let row = nattplats::service::users::create(&mut conn, new, hash)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("created user {} ({})", row.username, row.id);
    Ok(())
}

fn backup(settings: &Settings, to: &std::path::Path) -> anyhow::Result<()> {
    let mut conn = connect(settings)?;
    let started = std::time::Instant::now();
    db::backup_sqlite(&mut conn, to)?;
    println!(
        "backed up to {} in {:.1} s",
        to.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// glibc gives each thread that allocates at once an arena of its own (up
/// to eight per core) and keeps what was freed in it. Under load, with
/// requests queued on blocking threads, that kept the service at 336 MiB
/// on SQLite at the large size; with two arenas it peaked at 187 MiB and
/// ran no slower (BENCHMARKS.md). Like `MALLOC_ARENA_MAX=2`.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn verify_audit(settings: &Settings) -> anyhow::Result<()> {
    let mut conn = connect(settings)?;
    let v = nattplats::audit::verify(&mut conn)?;
    if v.problems.is_empty() {
        println!(
            "audit trail: {} entries, every one as it was written",
            v.entries
        );
        Ok(())
    } else {
        for p in &v.problems {
            eprintln!("audit trail: {p}");
        }
        anyhow::bail!(
            "the audit trail has been tampered with: {} problem(s) in {} entries",
            v.problems.len(),
            v.entries
        )
    }
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
