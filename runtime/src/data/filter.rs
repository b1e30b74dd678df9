//! [`Filter`]: conditions for the row helpers, every value bound.

use rbs::Value;

/// Conditions ANDed into a `WHERE`; every value is a bound parameter.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    clauses: Vec<String>,
    pub(crate) args: Vec<Value>,
}

impl Filter {
    /// No conditions.
    pub fn new() -> Filter {
        Filter::default()
    }

    /// `column <op> ?`, `value` bound.
    fn compare(mut self, column: &'static str, op: &str, value: Value) -> Filter {
        self.clauses.push(format!("{column} {op} ?"));
        self.args.push(value);
        self
    }

    /// `column = value`.
    pub fn eq(self, column: &'static str, value: impl Into<Value>) -> Filter {
        self.compare(column, "=", value.into())
    }

    /// `column < value`.
    pub fn lt(self, column: &'static str, value: impl Into<Value>) -> Filter {
        self.compare(column, "<", value.into())
    }

    /// `column IS NULL`.
    pub fn is_null(mut self, column: &'static str) -> Filter {
        self.clauses.push(format!("{column} IS NULL"));
        self
    }

    /// `column >= value`.
    pub fn ge(self, column: &'static str, value: impl Into<Value>) -> Filter {
        self.compare(column, ">=", value.into())
    }

    /// `column <= value`.
    pub fn le(self, column: &'static str, value: impl Into<Value>) -> Filter {
        self.compare(column, "<=", value.into())
    }

    /// Case-insensitive substring match, with `%` and `_` in `needle` taken
    /// literally (escaped with `!`, which needs no quoting in any dialect).
    pub fn contains_ci(mut self, column: &'static str, needle: &str) -> Filter {
        let mut pattern = String::with_capacity(needle.len() + 2);
        pattern.push('%');
        for c in needle.to_lowercase().chars() {
            if matches!(c, '%' | '_' | '!') {
                pattern.push('!');
            }
            pattern.push(c);
        }
        pattern.push('%');
        self.clauses.push(format!("LOWER({column}) LIKE ? ESCAPE '!'"));
        self.args.push(Value::String(pattern));
        self
    }

    pub(crate) fn where_sql(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!(" WHERE {}", self.clauses.join(" AND ")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_percent_and_underscore_literally() {
        let filter = Filter::new().contains_ci("username", "A_b%c!");
        assert_eq!(filter.where_sql(), " WHERE LOWER(username) LIKE ? ESCAPE '!'");
        assert_eq!(filter.args, vec![Value::String("%a!_b!%c!!%".to_owned())]);
    }
}
