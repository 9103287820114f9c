//! Queries with their parameters' types given, sent as one unnamed statement each (Parse, Bind,
//! Execute, Sync in one round trip: `query_typed`). A named prepared statement, which
//! `Client::query` makes, does not survive a transaction-mode pooler (PgBouncer before 1.21
//! hands the next message to another server connection, where the statement does not exist or
//! another client's of the same name does); an unnamed one does. Every query gate sends to the
//! fleet goes through here.

use postgres::types::{ToSql, Type};
use postgres::{Client, Error, Row};

/// A parameter whose PostgreSQL type is known from its Rust type.
pub trait Param: ToSql + Sync {
    fn pg_type(&self) -> Type;
}

macro_rules! param {
    ($($t:ty => $pg:expr),* $(,)?) => {
        $(impl Param for $t {
            fn pg_type(&self) -> Type {
                $pg
            }
        })*
    };
}

param! {
    String => Type::TEXT,
    &str => Type::TEXT,
    Option<String> => Type::TEXT,
    Option<&str> => Type::TEXT,
    i64 => Type::INT8,
    i32 => Type::INT4,
    Vec<String> => Type::TEXT_ARRAY,
    Vec<&str> => Type::TEXT_ARRAY,
    Vec<i64> => Type::INT8_ARRAY,
    Vec<Vec<u8>> => Type::BYTEA_ARRAY,
    Vec<u8> => Type::BYTEA,
    &[u8] => Type::BYTEA,
}

fn typed<'a>(params: &'a [&'a dyn Param]) -> Vec<(&'a (dyn ToSql + Sync), Type)> {
    params
        .iter()
        .map(|p| (*p as &(dyn ToSql + Sync), p.pg_type()))
        .collect()
}

/// `query`, `query_one` and `query_opt`, each one unnamed statement.
pub trait Typed {
    fn q(&mut self, sql: &str, params: &[&dyn Param]) -> Result<Vec<Row>, Error>;
    fn q_one(&mut self, sql: &str, params: &[&dyn Param]) -> Result<Row, Error>;
    fn q_opt(&mut self, sql: &str, params: &[&dyn Param]) -> Result<Option<Row>, Error>;
}

impl Typed for Client {
    fn q(&mut self, sql: &str, params: &[&dyn Param]) -> Result<Vec<Row>, Error> {
        self.query_typed(sql, &typed(params))
    }
    fn q_one(&mut self, sql: &str, params: &[&dyn Param]) -> Result<Row, Error> {
        self.query_typed_one(sql, &typed(params))
    }
    fn q_opt(&mut self, sql: &str, params: &[&dyn Param]) -> Result<Option<Row>, Error> {
        self.query_typed_opt(sql, &typed(params))
    }
}
