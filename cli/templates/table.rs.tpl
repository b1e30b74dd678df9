
/// One row of {{service}}'s table `{{table}}`.
#[keel::table(prefix = "{{prefix}}", {{kind_attr}}name = "{{name}}")]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct {{Camel}} {
    /// Primary key.
    #[column(primary)]
    pub id: Option<i64>,
    /// When it was created, UTC.
    pub created_at: Option<keel::time::DateTime>,
}
