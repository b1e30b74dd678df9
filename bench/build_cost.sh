#!/usr/bin/env bash
# Build cost: a keel service with HANDLERS handlers against the same
# handlers written on bare salvo, built in debug — clean (the service crate
# only; dependencies already built) and incremental (one handler edited) —
# in rounds of keel then each baseline. Prints every build and the median
# keel/baseline time of each kind, against each baseline.
#
#   bench/build_cost.sh                   # 100 handlers, 3 rounds, every baseline
#   HANDLERS=50 PAIRS=5 bench/build_cost.sh
#   BARE=plain bench/build_cost.sh        # one baseline only: plain, lib or oapi
#   BARE=both bench/build_cost.sh         # plain and oapi
#   DYLIB=1 bench/build_cost.sh           # keel linked from keel-dylib (--features dylib)
#   KEEL_FEATURES=default bench/build_cost.sh   # keel with its default features
#
# KEEL_FEATURES are keel's features for the generated service: `sqlite` by
# default, the driver of the embedded database and no other, and no Redis
# (the generated service uses the in-process cache; a service builds and
# links only what it names); `default` keeps every driver, Redis and
# `keel::testing`; a comma-separated list names others (`sqlite,redis`).
#
# The services are generated into target/build-cost/ (a workspace of its
# own, the main Cargo.lock and dev profile copied in so every dependency
# resolves to the same version and builds the same way) and share the main
# target directory, so none pays for building its dependencies inside a
# measured build. Each handler answers `GET /v1.00.00/itemNNN/{id}` with a
# two-field struct in the envelope:
#   keel:      `#[keel::api(path = "/itemNNN/{id}", public)]` on an impl with
#              `async fn get(id: PathParam<i64>) -> ApiResult<ItemNNN>` (a
#              `ToSchema` derive for the OpenAPI document) and `keel::uri_router!`;
#   bare:      `#[handler] async fn itemNNN(req, res)` reading the parameter,
#              rendering `Json(Envelope { … })`, and one `Router` built by
#              hand: no OpenAPI document; one crate (`src/main.rs`);
#   bare_lib:  the same handlers in keel's service layout: a library with
#              the handlers and `pub fn router()`, and a binary that serves
#              it (a service's tests and its several binaries need the
#              library), so the layout costs both sides the same;
#   bare_oapi: salvo-oapi's own way to the OpenAPI document keel serves:
#              `#[endpoint] async fn itemNNN(id: PathParam<i64>) ->
#              Json<Envelope<ItemNNN>>`, `ToSchema` derives, `OpenApi::merge_router`.
# Ten modules of ten handlers each; the incremental build edits a string in
# module 5.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

HANDLERS="${HANDLERS:-100}"
BARE="${BARE:-all}"
case "$BARE" in
    plain) baselines=(bare) ;;
    lib) baselines=(bare_lib) ;;
    oapi) baselines=(bare_oapi) ;;
    both) baselines=(bare bare_oapi) ;;
    all) baselines=(bare bare_lib bare_oapi) ;;
    *) echo "BARE is plain, lib, oapi, both or all" >&2; exit 2 ;;
esac
PAIRS="${PAIRS:-3}"
DYLIB="${DYLIB:-}"
KEEL_FEATURES="${KEEL_FEATURES:-sqlite}"
if [ "$KEEL_FEATURES" = default ]; then
    keel_dep="keel = { path = \"$root/runtime\" }"
else
    keel_dep="keel = { path = \"$root/runtime\", default-features = false, features = [$(echo "$KEEL_FEATURES" | sed 's/[^,][^,]*/"&"/g; s/,/, /g')] }"
fi
MODULES=10
per_module=$(( (HANDLERS + MODULES - 1) / MODULES ))
ws="$root/target/build-cost"
export CARGO_TARGET_DIR="$root/target"

rm -rf "$ws"
mkdir -p "$ws/keel_svc/src/bin"
cp Cargo.lock "$ws/"
cat > "$ws/Cargo.toml" <<EOF
[workspace]
resolver = "2"
members = ["keel_svc"$(printf ', "%s_svc"' "${baselines[@]}")]

EOF
# The dev profile of keel's workspace, where a service is built (no debug
# info for dependencies: a smaller binary, a shorter link), for both.
awk '/^\[profile\.dev/ { keep = 1 } /^\[/ && !/^\[profile\.dev/ { keep = 0 } keep && !/^#/' Cargo.toml >> "$ws/Cargo.toml"
cat > "$ws/keel_svc/Cargo.toml" <<EOF
[package]
name = "keel_svc"
version = "0.1.0"
edition = "2024"
publish = false

[[bin]]
name = "http_keel_svc"
path = "src/bin/http_keel_svc.rs"

[dependencies]
$keel_dep
$([ -n "$DYLIB" ] && echo "keel-dylib = { path = \"$root/dylib\" }")
serde = { version = "1", features = ["derive"] }
tokio = { version = "1", default-features = false, features = ["rt"] }
EOF

# The handlers: module m (0-based) holds handlers m*per_module … .
keel_list=()
for m in $(seq 0 $((MODULES - 1))); do
    keel_mod="$ws/keel_svc/src/m$m.rs"
    printf '//! Handlers of module %s.\n\nuse keel::prelude::*;\n' "$m" > "$keel_mod"
    for i in $(seq 0 $((per_module - 1))); do
        n=$((m * per_module + i))
        [ "$n" -lt "$HANDLERS" ] || break
        id=$(printf '%03d' "$n")
        cat >> "$keel_mod" <<EOF

/// Item $id.
#[derive(Debug, Serialize, ToSchema)]
pub struct Item$id {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// \`GET /item$id/{id}\`.
#[keel::api(path = "/item$id/{id}", public)]
impl Item${id}Handler {
    /// One item.
    async fn get(id: PathParam<i64>) -> ApiResult<Item$id> {
        Ok(answer_json(Item$id { id: *id, name: format!("item $id") }))
    }
}
EOF
        keel_list+=("m$m::Item${id}Handler")
    done
done

{
    echo '//! A generated service with many handlers, for measuring build cost.'
    echo
    for m in $(seq 0 $((MODULES - 1))); do echo "pub mod m$m;"; done
    echo
    echo '/// The service.'
    echo '#[keel::service(name = "build_cost", id = 901, port = 8901, prefix = "bcs", version = "1.00.00")]'
    echo 'pub struct BuildCostConf;'
    echo
    echo "keel::uri_router!(BuildCostConf => $(IFS=,; echo "${keel_list[*]}" | sed 's/,/, /g'));"
} > "$ws/keel_svc/src/lib.rs"
cat > "$ws/keel_svc/src/bin/http_keel_svc.rs" <<'EOF'
//! The service's binary.
EOF
# With DYLIB, keel comes from one shared library, as with a service's
# `--features dylib` (the library is built with the dependencies, untimed).
[ -n "$DYLIB" ] && echo 'use keel_dylib as _;' >> "$ws/keel_svc/src/bin/http_keel_svc.rs"
cat >> "$ws/keel_svc/src/bin/http_keel_svc.rs" <<'EOF'

#[keel::main]
async fn main() -> std::process::ExitCode {
    keel::App::new(keel_svc::uri_router()).run().await
}
EOF

# generate_bare FLAVOR LAYOUT PACKAGE: the same handlers on bare salvo,
# plain (`#[handler]`) or with salvo-oapi (`#[endpoint]`, an OpenAPI
# document), in one crate (LAYOUT=main) or a library and a binary (lib).
generate_bare() {
    local flavor=$1 layout=$2 package=$3
    local dir="$ws/$package" bare_routes="" m i n id bare_mod derives
    mkdir -p "$dir/src"
    cat > "$dir/Cargo.toml" <<EOF
[package]
name = "$package"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
salvo = { version = "1.1.0", default-features = false, features = ["server", "http1"] }
serde = { version = "1", features = ["derive"] }
tokio = { version = "1", default-features = false, features = ["rt-multi-thread", "macros"] }

[features]
default = [$([ "$flavor" = oapi ] && echo '"oapi"')]
oapi = ["salvo/oapi"]
EOF
    for m in $(seq 0 $((MODULES - 1))); do
        bare_mod="$dir/src/m$m.rs"
        printf '//! Handlers of module %s.\n\nuse crate::Envelope;\nuse salvo::prelude::*;\nuse serde::Serialize;\n' "$m" > "$bare_mod"
        [ "$flavor" = oapi ] && echo 'use salvo::oapi::extract::PathParam;' >> "$bare_mod"
        for i in $(seq 0 $((per_module - 1))); do
            n=$((m * per_module + i))
            [ "$n" -lt "$HANDLERS" ] || break
            id=$(printf '%03d' "$n")
            # The item struct is the same on both bare variants but for its derives.
            derives="Debug, Serialize"
            [ "$flavor" = oapi ] && derives+=", salvo::oapi::ToSchema"
            cat >> "$bare_mod" <<EOF

/// Item $id.
#[derive($derives)]
pub struct Item$id {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// \`GET /item$id/{id}\`.
EOF
            if [ "$flavor" = oapi ]; then
                cat >> "$bare_mod" <<EOF
#[endpoint]
pub async fn item$id(id: PathParam<i64>) -> Json<Envelope<Item$id>> {
    Json(Envelope::ok(Item$id { id: *id, name: format!("item $id") }))
}
EOF
            else
                cat >> "$bare_mod" <<EOF
#[handler]
pub async fn item$id(req: &mut Request, res: &mut Response) {
    match req.param::<i64>("id") {
        Some(id) => res.render(Json(Envelope::ok(Item$id { id, name: format!("item $id") }))),
        None => {
            res.status_code(StatusCode::BAD_REQUEST);
            res.render(Json(Envelope::refused("id: not a number")));
        }
    }
}
EOF
            fi
            bare_routes+="        .push(Router::with_path(\"item$id/{id}\").get(m$m::item$id))"$'\n'
        done
    done
    {
        echo '//! The same handlers on bare salvo.'
        echo
        echo 'use salvo::prelude::*;'
        echo 'use serde::Serialize;'
        echo
        for m in $(seq 0 $((MODULES - 1))); do echo "mod m$m;"; done
        cat <<'EOF'

/// The answer's envelope.
#[derive(Serialize)]
#[cfg_attr(feature = "oapi", derive(salvo::oapi::ToSchema))]
pub struct Envelope<T> {
    code: u32,
    msg: &'static str,
    data: Option<T>,
}

impl<T> Envelope<T> {
    fn ok(data: T) -> Envelope<T> {
        Envelope { code: 0, msg: "ok", data: Some(data) }
    }
}

impl Envelope<()> {
    #[allow(dead_code)]
    fn refused(msg: &'static str) -> Envelope<()> {
        Envelope { code: 40000, msg, data: None }
    }
}

/// The service's routes.
pub fn router() -> Router {
    let router = Router::with_path("v1.00.00")
EOF
        printf '%s' "$bare_routes"
        cat <<'EOF'
        ;
    #[cfg(feature = "oapi")]
    let router = {
        let doc = salvo::oapi::OpenApi::new("bare", "1.00.00").merge_router(&router);
        router.push(doc.into_router("/openapi.json"))
    };
    router
}
EOF
        if [ "$layout" = main ]; then
            cat <<'EOF'

#[tokio::main]
async fn main() {
    let acceptor = TcpListener::new("127.0.0.1:8902").bind().await;
    Server::new(acceptor).serve(router()).await;
}
EOF
        fi
    } > "$dir/src/$([ "$layout" = main ] && echo main || echo lib).rs"
    if [ "$layout" = lib ]; then
        mkdir -p "$dir/src/bin"
        printf '\n[[bin]]\nname = "http_%s"\npath = "src/bin/http_%s.rs"\n' "$package" "$package" >> "$dir/Cargo.toml"
        cat > "$dir/src/bin/http_$package.rs" <<EOF
//! The service's binary.

use salvo::prelude::*;

#[tokio::main]
async fn main() {
    let acceptor = TcpListener::new("127.0.0.1:8902").bind().await;
    Server::new(acceptor).serve(${package}::router()).await;
}
EOF
    fi
}

for baseline in "${baselines[@]}"; do
    case "$baseline" in
        bare) generate_bare plain main bare_svc ;;
        bare_lib) generate_bare plain lib bare_lib_svc ;;
        bare_oapi) generate_bare oapi main bare_oapi_svc ;;
    esac
done

build() { # build PACKAGE → seconds
    local start end
    start=$(date +%s.%N)
    (cd "$ws" && cargo build -q -p "$1")
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }'
}

# The edit an incremental build sees: one handler's answer text changes.
# The first handler of module 5 (item 050 with 100 handlers).
edited=$(printf '%03d' $((5 * per_module)))
edit_one() { # edit_one PACKAGE ROUND
    sed -i "s/format!(\"item $edited[^\"]*\")/format!(\"item $edited edit $2\")/" "$ws/$1/src/m5.rs"
}

echo "warming up: the dependencies of every service (not measured)…" >&2
# One package at a time, as the rounds build them: features unify only over
# the packages of one build, so a whole-workspace build would leave salvo
# built with other features than `-p bare_svc` asks for, and the first
# round's baseline would rebuild its dependencies inside a measured build.
for stack in keel "${baselines[@]}"; do
    (cd "$ws" && cargo build -q -p "${stack}_svc")
done

# Rounds: keel, then each baseline; a round's keel/baseline ratios are
# kept per baseline.
printf '%-5s %-9s %10s %14s\n' round stack 'clean s' 'incremental s'
declare -A clean_ratios incr_ratios
for pair in $(seq "$PAIRS"); do
    declare -A clean incr
    for stack in keel "${baselines[@]}"; do
        package=${stack}_svc
        (cd "$ws" && cargo clean -q -p "$package")
        clean[$stack]=$(build "$package")
        edit_one "$package" "$pair"
        incr[$stack]=$(build "$package")
        printf '%-5s %-9s %10s %14s\n' "$pair" "$stack" "${clean[$stack]}" "${incr[$stack]}"
    done
    for baseline in "${baselines[@]}"; do
        clean_ratios[$baseline]+=" $(awk -v k="${clean[keel]}" -v b="${clean[$baseline]}" 'BEGIN { printf "%.3f", k / b }')"
        incr_ratios[$baseline]+=" $(awk -v k="${incr[keel]}" -v b="${incr[$baseline]}" 'BEGIN { printf "%.3f", k / b }')"
    done
done
source bench/lib.sh
keel_how=""
[ -n "$DYLIB" ] && keel_how=", keel from keel-dylib"
for baseline in "${baselines[@]}"; do
    # shellcheck disable=SC2086 # the ratios, one word each
    median "keel/$baseline clean build ($HANDLERS handlers, debug$keel_how)" %.3f ${clean_ratios[$baseline]}
    # shellcheck disable=SC2086
    median "keel/$baseline incremental build (one handler edited, debug$keel_how)" %.3f ${incr_ratios[$baseline]}
done
