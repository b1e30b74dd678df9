# {{name}} deployment settings (seed: config/conf_{{name}}.py).
#
# Identity (name, id, port, prefix, version) lives in src/config.rs.
# Every key below can be overridden by an environment variable spelled
# KEEL_ + the key path in upper case, sections joined by `__`
# (server.port -> KEEL_SERVER__PORT), and KEEL_PROFILE=<name> (or --profile)
# adds config/<name>.toml on top of this file. --port and --bind win over all.
# An unknown key or a bad value stops boot with one line naming it.
# This file is compiled into the binary; a copy on disk overrides it.

[server]
# Address to listen on; 127.0.0.1 keeps the service off the network.
bind = "0.0.0.0"
# Port; when unset, the identity's port ({{port}}).
# port = {{port}}
# Seconds in-flight requests get to finish after SIGTERM or Ctrl-C.
shutdown_timeout = 30

[log]
# Files live in logs/{{name}}/: info.log, failed.log and one per name in
# `files`. Lowest level written: off, error, warn, info, debug, trace.
level = "info"
# A file rolls over past this many MiB, and this many rolled files are kept.
max_size_mib = 50
keep = 10

# [database]
# With none, the service uses an embedded SQLite file, data/{{name}}.db,
# upgraded by its migrations at boot. To share tokens with manage_system,
# point it at manage_system's database.
# default = "mysql://root:@127.0.0.1:3306/test"     # or postgres://…, sqlite://…

# [cache]
# With none, an in-process cache with the same API.
# default = "redis://127.0.0.1:6379/"

# [jobs]
# When each timed job runs (a 6-field cron: sec min hour day month weekday).
# count_items = "0 * * * * *"
