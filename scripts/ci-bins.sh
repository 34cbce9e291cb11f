# Sourced by the CI scripts that run the service and the load tool
# (load-ci, crash-ci, instances-ci, outage-ci): builds both once and sets
# BIN_DIR to where they are. By default the debug build, whose
# dependencies `cargo test --workspace` has already compiled with the same
# features (a release build of everything took 8-11 of CI's minutes);
# NATTPLATS_CI_PROFILE=release runs them optimised, as the benchmarks do.
# The runs check what must hold (no 5xx, nothing acknowledged lost, the
# invariants, the instances agreeing), not how fast it is.
case "${NATTPLATS_CI_PROFILE:-debug}" in
  release) cargo build --release --locked --quiet --workspace --bins; BIN_DIR=target/release ;;
  debug) cargo build --locked --quiet --workspace --bins; BIN_DIR=target/debug ;;
  *) echo "NATTPLATS_CI_PROFILE must be debug or release" >&2; exit 1 ;;
esac
