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

    /// `column = value`.
    pub fn eq(mut self, column: &'static str, value: impl Into<Value>) -> Filter {
        self.clauses.push(format!("{column} = ?"));
        self.args.push(value.into());
        self
    }

    /// `column < value`.
    pub fn lt(mut self, column: &'static str, value: impl Into<Value>) -> Filter {
        self.clauses.push(format!("{column} < ?"));
        self.args.push(value.into());
        self
    }

    /// `column IS NULL`.
    pub fn is_null(mut self, column: &'static str) -> Filter {
        self.clauses.push(format!("{column} IS NULL"));
        self
    }

    /// `column >= value`.
    pub fn ge(mut self, column: &'static str, value: impl Into<Value>) -> Filter {
        self.clauses.push(format!("{column} >= ?"));
        self.args.push(value.into());
        self
    }

    /// `column <= value`.
    pub fn le(mut self, column: &'static str, value: impl Into<Value>) -> Filter {
        self.clauses.push(format!("{column} <= ?"));
        self.args.push(value.into());
        self
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
