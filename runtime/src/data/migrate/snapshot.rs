//! The models as a migration file records them: owned, serializable copies
//! of the schema descriptions, and how each operation changes them.

use super::op::Op;
use crate::data::table::{ColumnSchema, SqlType, TableSchema};
use serde::{Deserialize, Serialize};

/// One column in a snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// SQL type class.
    #[serde(rename = "type")]
    pub sql_type: SqlType,
    /// Maximum length (`VARCHAR(len)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub len: Option<u32>,
    /// NULL allowed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub nullable: bool,
    /// The primary key.
    #[serde(default, skip_serializing_if = "is_false")]
    pub primary: bool,
    /// A unique constraint `uq_<table>_<column>`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// A plain index `ix_<table>_<column>`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub index: bool,
    /// Default value, as SQL text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl Column {
    /// A copy of a model's column. Keys are exclusive, strongest first: a
    /// primary key is already unique, a unique column already indexed.
    pub fn from_schema(column: &ColumnSchema) -> Column {
        Column {
            name: column.name.to_owned(),
            sql_type: column.sql_type,
            len: column.len,
            nullable: column.nullable && !column.primary,
            primary: column.primary,
            unique: column.unique && !column.primary,
            index: column.index && !column.unique && !column.primary,
            default: column.default.map(str::to_owned),
        }
    }

    /// Whether the stored shape (type, length, nullability, default) differs.
    pub fn shape_differs(&self, other: &Column) -> bool {
        self.sql_type != other.sql_type
            || self.len != other.len
            || self.nullable != other.nullable
            || self.default != other.default
    }
}

/// One table in a snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableDef {
    /// Table name.
    pub name: String,
    /// Columns, in the order the models declare them.
    pub columns: Vec<Column>,
}

impl TableDef {
    /// A copy of a model's schema.
    pub fn from_schema(table: &TableSchema) -> TableDef {
        TableDef {
            name: table.name.to_owned(),
            columns: table.columns.iter().map(Column::from_schema).collect(),
        }
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    fn column_mut(&mut self, name: &str) -> Result<&mut Column, String> {
        let table = self.name.clone();
        self.columns.iter_mut().find(|c| c.name == name).ok_or_else(|| format!("no column `{table}.{name}`"))
    }
}

/// Every table of one database, after some migration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Snapshot {
    /// Tables, in the order the models list them.
    pub tables: Vec<TableDef>,
}

impl Snapshot {
    /// A copy of the models' schemas.
    pub fn from_models(models: &[TableSchema]) -> Snapshot {
        Snapshot { tables: models.iter().map(TableDef::from_schema).collect() }
    }

    /// The table named `name`.
    pub fn table(&self, name: &str) -> Option<&TableDef> {
        self.tables.iter().find(|t| t.name == name)
    }

    fn table_mut(&mut self, name: &str) -> Result<&mut TableDef, String> {
        self.tables.iter_mut().find(|t| t.name == name).ok_or_else(|| format!("no table `{name}`"))
    }

    /// The same tables and columns, whatever their order: the database does
    /// not keep the models' order (an added column goes last).
    pub fn same_schema(&self, other: &Snapshot) -> bool {
        self.sorted() == other.sorted()
    }

    fn sorted(&self) -> Vec<TableDef> {
        let mut tables = self.tables.clone();
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        for table in &mut tables {
            table.columns.sort_by(|a, b| a.name.cmp(&b.name));
        }
        tables
    }

    /// Applies `op` to the description; an error names what it refers to
    /// and is missing (or already there).
    pub fn apply(&mut self, op: &Op) -> Result<(), String> {
        match op {
            Op::CreateTable { table } => {
                if self.table(&table.name).is_some() {
                    return Err(format!("table `{}` already exists", table.name));
                }
                self.tables.push(table.clone());
            }
            Op::DropTable { table } => {
                let before = self.tables.len();
                self.tables.retain(|t| t.name != table.name);
                if before == self.tables.len() {
                    return Err(format!("no table `{}`", table.name));
                }
            }
            Op::RenameTable { from, to } => {
                if self.table(to).is_some() {
                    return Err(format!("table `{to}` already exists"));
                }
                self.table_mut(from)?.name.clone_from(to);
            }
            Op::AddColumn { table, column } => {
                let table = self.table_mut(table)?;
                if table.column(&column.name).is_some() {
                    return Err(format!("column `{}.{}` already exists", table.name, column.name));
                }
                table.columns.push(column.clone());
            }
            Op::DropColumn { table, column } => {
                let table = self.table_mut(table)?;
                let before = table.columns.len();
                table.columns.retain(|c| c.name != column.name);
                if before == table.columns.len() {
                    return Err(format!("no column `{}.{}`", table.name, column.name));
                }
            }
            Op::RenameColumn { table, from, to } => {
                let table = self.table_mut(table)?;
                if table.column(to).is_some() {
                    return Err(format!("column `{}.{to}` already exists", table.name));
                }
                table.column_mut(from)?.name.clone_from(to);
            }
            Op::AlterColumn { table, to, .. } => {
                let column = self.table_mut(table)?.column_mut(&to.name)?;
                let (unique, index) = (column.unique, column.index);
                *column = Column { unique, index, ..to.clone() };
            }
            Op::AddUnique { table, column } => self.table_mut(table)?.column_mut(column)?.unique = true,
            Op::DropUnique { table, column } => self.table_mut(table)?.column_mut(column)?.unique = false,
            Op::AddIndex { table, column } => self.table_mut(table)?.column_mut(column)?.index = true,
            Op::DropIndex { table, column } => self.table_mut(table)?.column_mut(column)?.index = false,
            Op::Sql(_) => {}
        }
        Ok(())
    }
}
