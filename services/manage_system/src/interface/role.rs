//! Roles: named sets of the permissions manage_system declares
//! (`keel::permissions!` in `config.rs`). An account holds one role; the
//! gate reads the role's permissions through the cache on every request,
//! so a change is seen by every instance at the next request.

use crate::api_base::{ADMIN_ROLE, AdminsLock, Guard, audit};
use crate::db_model::main::Role;
use keel::db::Filter;
use keel::prelude::*;
use keel::time::DateTime;
use keel_common::model_db::Stamps;

/// A role as answered.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RoleView {
    /// Primary key.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// The permissions it grants, sorted.
    pub permissions: Vec<String>,
    /// Creation time, RFC 3339 UTC.
    pub created_at: Option<DateTime>,
    /// Last update, RFC 3339 UTC.
    pub updated_at: Option<DateTime>,
}

impl From<Role> for RoleView {
    fn from(role: Role) -> Self {
        RoleView {
            id: role.id.unwrap_or_default(),
            permissions: role.permission_list(),
            name: role.name,
            created_at: role.stamps.created_at,
            updated_at: role.stamps.updated_at,
        }
    }
}

/// A new role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRole {
    /// 2 to 64 of `[a-z0-9_.-]`, unique.
    #[salvo(schema(pattern = r"^[a-z0-9_.-]{2,64}$"))]
    pub name: String,
    /// Declared permissions, e.g. `["account.read"]`.
    pub permissions: Vec<String>,
}

/// Changes to a role; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleUpdate {
    /// A new name.
    pub name: Option<String>,
    /// The new permission set (replaces the old one).
    pub permissions: Option<Vec<String>>,
}

/// Paging of the role list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleQuery {
    /// Page, from 1.
    #[salvo(schema(minimum = 1))]
    pub page: Option<u64>,
    /// Rows per page, 1 to 100 (20).
    #[salvo(schema(minimum = 1, maximum = 100))]
    pub size: Option<u64>,
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    let ok = (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-'));
    if !ok {
        errors.push(FieldError::new(
            "name",
            "2 to 64 characters of lower-case letters, digits, `_`, `.` or `-`",
        ));
    }
}

/// Every permission must be one the service declares (a 400 names the
/// first field that is not); duplicates collapse.
fn check_permissions(permissions: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for (index, permission) in permissions.iter().enumerate() {
        if !crate::SysConf::PERMISSIONS.contains(&permission.as_str()) {
            errors.push(FieldError::new(
                format!("permissions[{index}]"),
                format!(
                    "`{permission}` is not a permission of manage_system; declared: {}",
                    crate::SysConf::PERMISSIONS.join(", ")
                ),
            ));
        } else if !kept.contains(permission) {
            kept.push(permission.clone());
        }
    }
    kept.sort();
    kept
}

/// Roles.
#[keel::api(path = "/role", version = "1.00.02", permission = "role.read")]
impl RoleHandler {
    /// Page through roles, newest first.
    async fn get(ctx: Ctx, Query(q): Query<RoleQuery>) -> ApiResult<Page<RoleView>> {
        let paging = page_bounds(q.page, q.size)?;
        let (rows, total) = ctx.db()?.page::<Role>(&Filter::new(), paging).await?;
        Ok(answer_page(rows.into_iter().map(RoleView::from).collect(), total, paging))
    }

    /// Create a role; 201. A taken name answers 409, an undeclared
    /// permission 400; nobody grants a permission they do not hold.
    #[permission("role.write")]
    async fn post(ctx: Ctx, Json(new): Json<NewRole>) -> ApiResult<RoleView, 201> {
        let mut errors = Vec::new();
        check_name(&new.name, &mut errors);
        let permissions = check_permissions(&new.permissions, &mut errors);
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Guard::new(&ctx)?.may_grant(&permissions)?;
        let now = Some(DateTime::now());
        let mut role = Role {
            id: None,
            name: new.name,
            permissions: Role::join(&permissions),
            stamps: Stamps { created_at: now, updated_at: now },
        };
        let id = ctx.db()?.insert(&role).await.map_err(|err| match err {
            keel::db::DbError::Conflict(_) => ApiError::new(ErrorCode::Conflict).msg("role name is taken"),
            other => other.into(),
        })?;
        role.id = Some(id);
        audit(&ctx, "role.create", &format!("role {id} `{}` [{}]", role.name, role.permissions));
        Ok(answer_json(RoleView::from(role)).created())
    }
}

/// One role.
#[keel::api(path = "/role/{id}", version = "1.00.02", permission = "role.read")]
impl RoleItemHandler {
    /// Read a role; unknown ids answer 404.
    async fn get(ctx: Ctx, id: PathParam<i64>) -> ApiResult<RoleView> {
        let role = ctx.db()?.get_cached::<Role>(*id).await?;
        role.map(|r| answer_json(r.into())).ok_or_else(|| ApiError::not_found("no such role"))
    }

    /// Rename a role or replace its permissions. Taking `role.write` from
    /// the last enabled account that holds it answers 409. The `admin` role
    /// keeps its name and every permission (403): boot completes the role
    /// of that name, so neither may move.
    #[permission("role.write")]
    async fn put(ctx: Ctx, id: PathParam<i64>, Json(change): Json<RoleUpdate>) -> ApiResult<RoleView> {
        let mut errors = Vec::new();
        if let Some(name) = &change.name {
            check_name(name, &mut errors);
        }
        let permissions = change.permissions.as_deref().map(|p| check_permissions(p, &mut errors));
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        let db = ctx.db()?;
        let guard = Guard::new(&ctx)?;
        // The check that a role.write holder remains and the write happen
        // under one lock: two racing changes cannot both pass it.
        let lock = AdminsLock::acquire(&ctx).await?;
        let outcome = async {
            let mut role = db.get::<Role>(*id).await?.ok_or_else(|| ApiError::not_found("no such role"))?;
            if role.name == ADMIN_ROLE
                && (permissions.is_some() || change.name.as_ref().is_some_and(|n| n != ADMIN_ROLE))
            {
                return Err(ApiError::new(ErrorCode::Forbidden).msg(
                    "the `admin` role keeps its name and every permission; create another role for fewer",
                ));
            }
            // Changing a role changes every holder: only within one's own reach.
            guard.may_grant(&role.permission_list())?;
            let mut what = Vec::new();
            if let Some(permissions) = &permissions
                && *permissions != role.permission_list()
            {
                guard.may_grant(permissions)?;
                guard.keeps_an_admin(db, crate::api_base::Change::RolePermissions(*id, permissions)).await?;
                role.permissions = Role::join(permissions);
                what.push(format!("permissions [{}]", role.permissions));
            }
            if let Some(name) = change.name
                && name != role.name
            {
                what.push(format!("name `{}` -> `{name}`", role.name));
                role.name = name;
            }
            if !what.is_empty() {
                role.stamps.updated_at = Some(DateTime::now());
                db.update(*id, &role).await.map_err(|err| match err {
                    keel::db::DbError::Conflict(_) => {
                        ApiError::new(ErrorCode::Conflict).msg("role name is taken")
                    }
                    other => other.into(),
                })?;
                audit(&ctx, "role.update", &format!("role {}: {}", *id, what.join(", ")));
            }
            Ok(role)
        }
        .await;
        lock.release().await;
        Ok(answer_json(outcome?.into()))
    }
}
