use keel::prelude::*;

#[keel::service(name = "manage_system", id = 1, port = 8001, prefix = "sys", version = "1.00.02")]
pub struct SysConf;

#[derive(Deserialize, Serialize, ToSchema)]
pub struct NewAccount {
    username: String,
}

/// Accounts.
#[keel::api(path = "/account", version = "1.00.02")]
impl AccountHandler {
    /// Create.
    async fn post(ctx: Ctx, body: Json<NewAccount>) -> ApiResult<NewAccount, 201> {
        ctx.log.info("creating");
        Ok(answer_json(body.0).created())
    }
    /// Not a route: helpers may live beside the verbs.
    fn helper() -> u8 {
        1
    }
}

#[keel::api(path = "/account/{id}")]
impl AccountItemHandler {
    async fn get(id: PathParam<u64>) -> ApiResult<u64> {
        Ok(answer_json(id.0 + u64::from(AccountHandler::helper())))
    }
    // Same path, other verb: no conflict.
    async fn put(id: PathParam<u64>) -> ApiResult<u64> {
        Ok(answer_json(id.0))
    }
}

// Same path and verb as AccountItemHandler::get, other version: no conflict.
#[keel::api(path = "/account/{uid}", version = "2.00.00")]
impl AccountItemV2 {
    async fn get(uid: PathParam<u64>) -> ApiResult<u64> {
        Ok(answer_json(uid.0))
    }
}

#[keel::api(method = "post", path = "/login", public)]
async fn login(body: Json<NewAccount>) -> ApiResult<NewAccount> {
    Ok(answer_json(body.0))
}

keel::uri_router!(SysConf => AccountHandler, AccountItemHandler, AccountItemV2, login);

#[keel::main(bin_name = "http_manage_sys")]
async fn main() {
    let router = uri_router();
    assert_eq!(router.endpoints().len(), 5);
}
