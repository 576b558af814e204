//! A lexer and Pratt parser for a small expression language, with an evaluator.

use std::collections::HashMap;
use std::fmt;
use std::iter::Peekable;
use std::str::Chars;

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Number(f64),
    Ident(String),
    Str(String),
    Op(char),
    LParen,
    RParen,
    Comma,
    Eof,
}

#[derive(Debug)]
pub struct LexError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for LexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.position, self.message)
    }
}

pub struct Lexer<'a> {
    chars: Peekable<Chars<'a>>,
    position: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(source: &'a str) -> Self {
        Lexer { chars: source.chars().peekable(), position: 0 }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next();
        if c.is_some() {
            self.position += 1;
        }
        c
    }

    fn error(&self, message: &str) -> LexError {
        LexError { position: self.position, message: message.to_string() }
    }

    pub fn next_token(&mut self) -> Result<Token, LexError> {
        while let Some(&c) = self.chars.peek() {
            if c.is_whitespace() {
                self.bump();
            } else if c == '#' {
                while let Some(c) = self.bump() {
                    if c == '\n' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
        let c = match self.bump() {
            Some(c) => c,
            None => return Ok(Token::Eof),
        };
        match c {
            '0'..='9' | '.' => self.number(c),
            'a'..='z' | 'A'..='Z' | '_' => Ok(self.ident(c)),
            '"' => self.string(),
            '(' => Ok(Token::LParen),
            ')' => Ok(Token::RParen),
            ',' => Ok(Token::Comma),
            '+' | '-' | '*' | '/' | '%' | '^' | '<' | '>' | '=' | '!' => Ok(Token::Op(c)),
            other => Err(self.error(&format!("unexpected character {:?}", other))),
        }
    }

    fn number(&mut self, first: char) -> Result<Token, LexError> {
        let mut text = String::from(first);
        let mut seen_dot = first == '.';
        while let Some(&c) = self.chars.peek() {
            if c.is_ascii_digit() || (c == '.' && !seen_dot) {
                seen_dot |= c == '.';
                text.push(c);
                self.bump();
            } else {
                break;
            }
        }
        text.parse().map(Token::Number).map_err(|_| self.error("bad number"))
    }

    fn ident(&mut self, first: char) -> Token {
        let mut name = String::from(first);
        while let Some(&c) = self.chars.peek() {
            if !(c.is_alphanumeric() || c == '_') {
                break;
            }
            name.push(c);
            self.bump();
        }
        Token::Ident(name)
    }

    fn string(&mut self) -> Result<Token, LexError> {
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error("unterminated string")),
                Some('"') => return Ok(Token::Str(out)),
                Some('\\') => match self.bump() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(c @ ('"' | '\\')) => out.push(c),
                    _ => return Err(self.error("bad escape")),
                },
                Some(c) => out.push(c),
            }
        }
    }
}

#[derive(Debug, Clone)]
pub enum Expr {
    Num(f64),
    Str(String),
    Var(String),
    Unary(char, Box<Expr>),
    Binary(char, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
}

fn binding_power(op: char) -> Option<(u8, u8)> {
    let power = match op {
        '=' | '<' | '>' => (1, 2),
        '+' | '-' => (3, 4),
        '*' | '/' | '%' => (5, 6),
        '^' => (8, 7),
        _ => return None,
    };
    Some(power)
}

pub struct Parser<'a> {
    lexer: Lexer<'a>,
    current: Token,
}

impl<'a> Parser<'a> {
    pub fn new(source: &'a str) -> Result<Self, LexError> {
        let mut lexer = Lexer::new(source);
        let current = lexer.next_token()?;
        Ok(Parser { lexer, current })
    }

    fn advance(&mut self) -> Result<Token, LexError> {
        let next = self.lexer.next_token()?;
        Ok(std::mem::replace(&mut self.current, next))
    }

    pub fn parse(&mut self) -> Result<Expr, LexError> {
        let expr = self.expression(0)?;
        if self.current != Token::Eof {
            return Err(self.lexer.error(&format!("trailing {:?}", self.current)));
        }
        Ok(expr)
    }

    fn expression(&mut self, min_power: u8) -> Result<Expr, LexError> {
        let mut left = match self.advance()? {
            Token::Number(n) => Expr::Num(n),
            Token::Str(s) => Expr::Str(s),
            Token::Ident(name) if self.current == Token::LParen => {
                self.advance()?;
                let mut args = Vec::new();
                if self.current != Token::RParen {
                    loop {
                        args.push(self.expression(0)?);
                        if self.current == Token::Comma {
                            self.advance()?;
                        } else {
                            break;
                        }
                    }
                }
                if self.advance()? != Token::RParen {
                    return Err(self.lexer.error("expected )"));
                }
                Expr::Call(name, args)
            }
            Token::Ident(name) => Expr::Var(name),
            Token::Op(op @ ('-' | '!')) => Expr::Unary(op, Box::new(self.expression(9)?)),
            Token::LParen => {
                let inner = self.expression(0)?;
                if self.advance()? != Token::RParen {
                    return Err(self.lexer.error("expected )"));
                }
                inner
            }
            other => return Err(self.lexer.error(&format!("unexpected {:?}", other))),
        };
        loop {
            let op = match self.current {
                Token::Op(op) => op,
                _ => break,
            };
            let Some((left_power, right_power)) = binding_power(op) else {
                break;
            };
            if left_power < min_power {
                break;
            }
            self.advance()?;
            let right = self.expression(right_power)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Num(f64),
    Str(String),
    Bool(bool),
}

pub struct Env {
    vars: HashMap<String, Value>,
    functions: HashMap<&'static str, fn(&[Value]) -> Result<Value, String>>,
}

impl Default for Env {
    fn default() -> Self {
        let mut functions: HashMap<&'static str, fn(&[Value]) -> Result<Value, String>> = HashMap::new();
        functions.insert("max", |args| {
            let mut best: Option<f64> = None;
            for arg in args {
                match arg {
                    Value::Num(n) if best.map_or(true, |b| *n > b) => best = Some(*n),
                    Value::Num(_) => {}
                    _ => return Err("max takes numbers".into()),
                }
            }
            best.map(Value::Num).ok_or_else(|| "max of nothing".to_string())
        });
        functions.insert("len", |args| match args {
            [Value::Str(s)] => Ok(Value::Num(s.chars().count() as f64)),
            _ => Err("len takes one string".into()),
        });
        Env { vars: HashMap::new(), functions }
    }
}

impl Env {
    pub fn eval(&self, expr: &Expr) -> Result<Value, String> {
        match expr {
            Expr::Num(n) => Ok(Value::Num(*n)),
            Expr::Str(s) => Ok(Value::Str(s.clone())),
            Expr::Var(name) => self.vars.get(name).cloned().ok_or_else(|| format!("unknown variable {}", name)),
            Expr::Unary('-', inner) => match self.eval(inner)? {
                Value::Num(n) => Ok(Value::Num(-n)),
                other => Err(format!("cannot negate {:?}", other)),
            },
            Expr::Unary(_, inner) => match self.eval(inner)? {
                Value::Bool(b) => Ok(Value::Bool(!b)),
                other => Err(format!("cannot invert {:?}", other)),
            },
            Expr::Binary(op, left, right) => {
                let (l, r) = (self.eval(left)?, self.eval(right)?);
                self.binary(*op, l, r)
            }
            Expr::Call(name, args) => {
                let function = self.functions.get(name.as_str()).ok_or_else(|| format!("unknown function {}", name))?;
                let values: Result<Vec<Value>, String> = args.iter().map(|a| self.eval(a)).collect();
                function(&values?)
            }
        }
    }

    fn binary(&self, op: char, left: Value, right: Value) -> Result<Value, String> {
        use Value::*;
        Ok(match (op, left, right) {
            ('+', Num(a), Num(b)) => Num(a + b),
            ('+', Str(a), Str(b)) => Str(a + &b),
            ('-', Num(a), Num(b)) => Num(a - b),
            ('*', Num(a), Num(b)) => Num(a * b),
            ('/', Num(_), Num(b)) if b == 0.0 => return Err("division by zero".into()),
            ('/', Num(a), Num(b)) => Num(a / b),
            ('%', Num(a), Num(b)) => Num(a % b),
            ('^', Num(a), Num(b)) => Num(a.powf(b)),
            ('<', Num(a), Num(b)) => Bool(a < b),
            ('>', Num(a), Num(b)) => Bool(a > b),
            ('=', a, b) => Bool(a == b),
            (op, a, b) => return Err(format!("cannot apply {} to {:?} and {:?}", op, a, b)),
        })
    }

    pub fn set(&mut self, name: &str, value: Value) {
        self.vars.insert(name.to_string(), value);
    }
}

pub fn evaluate(source: &str, env: &Env) -> Result<Value, String> {
    let mut parser = Parser::new(source).map_err(|e| e.to_string())?;
    let expr = parser.parse().map_err(|e| e.to_string())?;
    env.eval(&expr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_respects_precedence() {
        let env = Env::default();
        assert_eq!(evaluate("1 + 2 * 3", &env), Ok(Value::Num(7.0)));
        assert_eq!(evaluate("2 ^ 3 ^ 2", &env), Ok(Value::Num(512.0)));
    }

    #[test]
    fn functions_and_errors() {
        let env = Env::default();
        assert_eq!(evaluate("max(1, 5, 3)", &env), Ok(Value::Num(5.0)));
        assert!(evaluate("1 / 0", &env).is_err());
        for bad in ["(1", "1 +", "\"open"] {
            assert!(evaluate(bad, &env).is_err(), "{} should fail", bad);
        }
    }
}
