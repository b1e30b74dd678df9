"""The seed's stack on the benchmark's endpoints: Sanic, tortoise-orm
(MariaDB through asyncmy), redis-py, argon2-cffi. Same paths and envelope
as keel's bench service (`bench/src/lib.rs`) and manage_system's login, so
one wrk command measures both; the feed socket relays what is published on
the Redis channel `bch_feed`, as keel's `ws_feed` does, for ws_fanout.
Run by bench/sanic.sh, never by hand.

Environment: BENCH_MYSQL (tortoise URL), BENCH_REDIS (redis URL).
"""
import asyncio
import hashlib
import json
import os
import secrets
import time
from datetime import datetime, timezone

import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sanic import Sanic
from sanic.response import json as json_response
from tortoise import Tortoise, fields
from tortoise.models import Model

app = Sanic("seed_bench")
app.config.ACCESS_LOG = False
# keel's argon2 parameters (the argon2 crate's defaults): Argon2id,
# m = 19456 KiB, t = 2, p = 1; verify reads them from the stored hash.
hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16)
SESSION_TTL = 86400


class Account(Model):
    id = fields.BigIntField(pk=True)
    username = fields.CharField(max_length=32, unique=True)
    display_name = fields.CharField(max_length=64, null=True)
    status = fields.SmallIntField()
    created_at = fields.TextField(null=True)

    class Meta:
        table = "bch_account"


class SysAccount(Model):
    id = fields.BigIntField(pk=True)
    username = fields.CharField(max_length=32, unique=True)
    password_hash = fields.CharField(max_length=255)
    status = fields.SmallIntField()

    class Meta:
        table = "sys_account"


class Session(Model):
    id = fields.BigIntField(pk=True)
    token_hash = fields.CharField(max_length=64)
    account_id = fields.BigIntField()
    issued_by = fields.CharField(max_length=64)
    expires_at = fields.BigIntField()
    created_at = fields.DatetimeField(null=True)

    class Meta:
        table = "keel_session"


class LoginRecord(Model):
    id = fields.BigIntField(pk=True)
    account_id = fields.BigIntField(null=True)
    username = fields.CharField(max_length=32)
    ip = fields.CharField(max_length=64)
    user_agent = fields.CharField(max_length=255, null=True)
    success = fields.BooleanField()
    created_at = fields.DatetimeField(null=True)

    class Meta:
        table = "sys_records_login"


def answer_json(data):
    return json_response({"code": 0, "msg": "ok", "data": data})


def row(account):
    return {
        "id": account.id,
        "username": account.username,
        "display_name": account.display_name,
        "status": account.status,
        "created_at": account.created_at,
    }


@app.before_server_start
async def connect(app, _loop):
    await Tortoise.init(db_url=os.environ["BENCH_MYSQL"], modules={"models": ["app"]}, use_tz=True)
    app.ctx.redis = aioredis.from_url(os.environ["BENCH_REDIS"])


@app.after_server_start
async def start_relay(app, _loop):
    app.add_task(relay(app))


# The open feed sockets of this worker.
feed_clients = set()


async def relay(app):
    """Every message published on `bch_feed`, as a `feed` frame to every
    open feed socket of this worker."""
    pubsub = app.ctx.redis.pubsub()
    await pubsub.subscribe("bch_feed")
    async for message in pubsub.listen():
        if message["type"] != "message":
            continue
        frame = '{"type":"feed","data":' + message["data"].decode() + "}"
        for ws in list(feed_clients):
            try:
                await ws.send(frame)
            except Exception:
                feed_clients.discard(ws)


@app.websocket("/v1.00.00/feed")
async def feed(_request, ws):
    feed_clients.add(ws)
    try:
        # Read (and drop) what the client sends until it closes.
        while True:
            await ws.recv()
    except asyncio.CancelledError:
        raise
    except Exception:
        pass
    finally:
        feed_clients.discard(ws)


@app.after_server_stop
async def close(app, _loop):
    await app.ctx.redis.aclose()
    await Tortoise.close_connections()


@app.get("/v1.00.00/hello")
async def hello(_request):
    return answer_json({"message": "hello, world", "answer": 42})


@app.get("/v1.00.00/account/<id:int>")
async def account(_request, id):
    found = await Account.get_or_none(id=id)
    if found is None:
        return json_response({"code": 40400, "msg": "no such account", "data": None}, status=404)
    return answer_json(row(found))


@app.get("/v1.00.00/account/<id:int>/cached")
async def cached_account(request, id):
    key = f"bch_account:{id}"
    cached = await request.app.ctx.redis.get(key)
    if cached is not None:
        return answer_json(json.loads(cached))
    found = await Account.get_or_none(id=id)
    if found is None:
        return json_response({"code": 40400, "msg": "no such account", "data": None}, status=404)
    data = row(found)
    await request.app.ctx.redis.set(key, json.dumps(data), ex=60)
    return answer_json(data)


@app.post("/v1.00.02/login")
async def login(request):
    """What manage_system's login does: the account, Argon2 verify, a login
    record, a session row and its cache entry."""
    body = request.json or {}
    username = str(body.get("username", ""))[:32]
    found = await SysAccount.get_or_none(username=username)
    now = datetime.now(timezone.utc)
    ok = False
    if found is not None and found.status == 1:
        try:
            ok = hasher.verify(found.password_hash, str(body.get("password", "")))
        except VerifyMismatchError:
            ok = False
    await LoginRecord.create(
        account_id=found.id if found else None,
        username=username,
        ip=request.ip,
        user_agent=request.headers.get("user-agent"),
        success=ok,
        created_at=now,
    )
    if not ok:
        return json_response({"code": 40100, "msg": "wrong username or password", "data": None}, status=401)
    token = secrets.token_hex(32)
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    expires_at = int(time.time()) + SESSION_TTL
    await Session.create(
        token_hash=token_hash, account_id=found.id, issued_by="manage_system", expires_at=expires_at, created_at=now
    )
    await request.app.ctx.redis.set(f"keel_session:{token_hash}", found.id, ex=SESSION_TTL)
    return answer_json({"token": token})
