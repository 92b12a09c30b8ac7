from shared.migration_env import run

run()
