//! The generic grammar of RFC 5228 section 8.2: commands with arguments, tests and
//! blocks, before anything is known about what the names mean.

use crate::error::{CompileError, Position};
use crate::lexer::{Lexer, Spanned, Token};

/// A string literal and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Literal {
    pub(crate) bytes: Vec<u8>,
    pub(crate) at: Position,
}

/// One argument: a string list, a number or a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Argument {
    /// A single string or a bracketed list; `bracketed` tells which.
    Strings {
        items: Vec<Literal>,
        bracketed: bool,
        at: Position,
    },
    Number {
        value: u64,
        at: Position,
    },
    Tag {
        name: String,
        at: Position,
    },
}

impl Argument {
    pub(crate) fn position(&self) -> Position {
        match self {
            Self::Strings { at, .. } | Self::Number { at, .. } | Self::Tag { at, .. } => *at,
        }
    }
}

/// The test argument of a command or test: one test, or a parenthesised list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TestArgument {
    Single(Box<TestNode>),
    List(Vec<TestNode>, Position),
}

/// A test: identifier and arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TestNode {
    pub(crate) name: String,
    pub(crate) at: Position,
    pub(crate) arguments: Vec<Argument>,
    pub(crate) tests: Option<TestArgument>,
}

/// A command: identifier, arguments, and either ";" or a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommandNode {
    pub(crate) name: String,
    pub(crate) at: Position,
    pub(crate) arguments: Vec<Argument>,
    pub(crate) tests: Option<TestArgument>,
    pub(crate) block: Option<Vec<Self>>,
}

/// Parses a whole script. `max_depth` bounds both block nesting and test nesting, so
/// hostile input cannot exhaust the stack.
pub(crate) fn parse(src: &[u8], max_depth: usize) -> Result<Vec<CommandNode>, CompileError> {
    let mut parser = Parser::new(src, max_depth)?;
    let commands = parser.commands(0)?;
    match parser.current.token {
        Token::Eof => Ok(commands),
        _ => Err(parser.unexpected("a command")),
    }
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    current: Spanned,
    max_depth: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a [u8], max_depth: usize) -> Result<Self, CompileError> {
        let mut lexer = Lexer::new(src);
        let current = lexer.next_token()?;
        Ok(Self {
            lexer,
            current,
            max_depth,
        })
    }

    fn advance(&mut self) -> Result<Spanned, CompileError> {
        let next = self.lexer.next_token()?;
        Ok(std::mem::replace(&mut self.current, next))
    }

    fn unexpected(&self, expected: &str) -> CompileError {
        CompileError::Syntax {
            at: self.current.at,
            message: format!(
                "expected {expected}, found {}",
                self.current.token.describe()
            ),
        }
    }

    fn check_depth(&self, depth: usize) -> Result<(), CompileError> {
        if depth > self.max_depth {
            Err(CompileError::NestingTooDeep {
                at: self.current.at,
                limit: self.max_depth,
            })
        } else {
            Ok(())
        }
    }

    /// Commands up to the end of the script or a closing brace (left in `current`).
    fn commands(&mut self, depth: usize) -> Result<Vec<CommandNode>, CompileError> {
        let mut out = Vec::new();
        while let Token::Identifier(_) = self.current.token {
            out.push(self.command(depth)?);
        }
        Ok(out)
    }

    fn command(&mut self, depth: usize) -> Result<CommandNode, CompileError> {
        let Spanned { token, at } = self.advance()?;
        let Token::Identifier(name) = token else {
            return Err(self.unexpected("a command"));
        };
        // Test nesting is counted on its own, from the command.
        let (arguments, tests) = self.arguments(0)?;
        let block = match self.current.token {
            Token::Semicolon => {
                self.advance()?;
                None
            }
            Token::LeftBrace => {
                self.check_depth(depth + 1)?;
                self.advance()?;
                let commands = self.commands(depth + 1)?;
                if self.current.token != Token::RightBrace {
                    return Err(self.unexpected("a command or '}'"));
                }
                self.advance()?;
                Some(commands)
            }
            _ => return Err(self.unexpected("';' or '{'")),
        };
        Ok(CommandNode {
            name,
            at,
            arguments,
            tests,
            block,
        })
    }

    /// `*argument [ test / test-list ]`.
    fn arguments(
        &mut self,
        depth: usize,
    ) -> Result<(Vec<Argument>, Option<TestArgument>), CompileError> {
        let mut arguments = Vec::new();
        loop {
            let at = self.current.at;
            match &self.current.token {
                Token::String(_) => {
                    if let Token::String(bytes) = self.advance()?.token {
                        arguments.push(Argument::Strings {
                            items: vec![Literal { bytes, at }],
                            bracketed: false,
                            at,
                        });
                    }
                }
                Token::LeftBracket => {
                    self.advance()?;
                    let items = self.string_list()?;
                    arguments.push(Argument::Strings {
                        items,
                        bracketed: true,
                        at,
                    });
                }
                Token::Number(value) => {
                    let value = *value;
                    self.advance()?;
                    arguments.push(Argument::Number { value, at });
                }
                Token::Tag(name) => {
                    let name = name.clone();
                    self.advance()?;
                    arguments.push(Argument::Tag { name, at });
                }
                _ => break,
            }
        }
        let tests = match self.current.token {
            Token::Identifier(_) => Some(TestArgument::Single(Box::new(self.test(depth + 1)?))),
            Token::LeftParen => Some(self.test_list(depth + 1)?),
            _ => None,
        };
        Ok((arguments, tests))
    }

    /// The strings of a bracketed list, `[` already consumed.
    fn string_list(&mut self) -> Result<Vec<Literal>, CompileError> {
        let mut items = Vec::new();
        loop {
            let at = self.current.at;
            match self.advance()?.token {
                Token::String(bytes) => items.push(Literal { bytes, at }),
                other => {
                    return Err(CompileError::Syntax {
                        at,
                        message: format!("expected a string, found {}", other.describe()),
                    });
                }
            }
            match self.current.token {
                Token::Comma => {
                    self.advance()?;
                }
                Token::RightBracket => {
                    self.advance()?;
                    return Ok(items);
                }
                _ => return Err(self.unexpected("',' or ']'")),
            }
        }
    }

    fn test(&mut self, depth: usize) -> Result<TestNode, CompileError> {
        self.check_depth(depth)?;
        let Spanned { token, at } = self.advance()?;
        let Token::Identifier(name) = token else {
            return Err(CompileError::Syntax {
                at,
                message: format!("expected a test, found {}", token.describe()),
            });
        };
        let (arguments, tests) = self.arguments(depth)?;
        Ok(TestNode {
            name,
            at,
            arguments,
            tests,
        })
    }

    fn test_list(&mut self, depth: usize) -> Result<TestArgument, CompileError> {
        self.check_depth(depth)?;
        let at = self.advance()?.at;
        let mut tests = Vec::new();
        loop {
            if !matches!(self.current.token, Token::Identifier(_)) {
                return Err(self.unexpected("a test"));
            }
            tests.push(self.test(depth)?);
            match self.current.token {
                Token::Comma => {
                    self.advance()?;
                }
                Token::RightParen => {
                    self.advance()?;
                    return Ok(TestArgument::List(tests, at));
                }
                _ => return Err(self.unexpected("',' or ')'")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_structure() {
        let src = b"if anyof (not exists [\"From\",\"Date\"], header :contains \"from\" \"x\") {\n discard;\n} else { keep; }";
        let tree = parse(src, 32).unwrap();
        assert_eq!(tree.len(), 2);
        assert_eq!(tree[0].name, "if");
        let Some(TestArgument::Single(anyof)) = &tree[0].tests else {
            panic!("if has a single test")
        };
        assert_eq!(anyof.name, "anyof");
        let Some(TestArgument::List(list, _)) = &anyof.tests else {
            panic!("anyof has a list")
        };
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].arguments.len(), 3);
        assert_eq!(tree[0].block.as_ref().map(Vec::len), Some(1));
        assert_eq!(tree[1].name, "else");
        assert_eq!(tree[1].at, Position::new(3, 3));
    }

    #[test]
    fn syntax_errors() {
        let err = parse(b"keep", 32).unwrap_err();
        assert_eq!(err.position(), Some(Position::new(1, 5)));
        assert!(err.to_string().contains("expected ';' or '{'"), "{err}");
        let err = parse(b"if true { keep; ", 32).unwrap_err();
        assert!(err.to_string().contains("'}'"), "{err}");
        let err = parse(b"fileinto [];", 32).unwrap_err();
        assert!(err.to_string().contains("expected a string"), "{err}");
        let err = parse(b"if allof (true,) {}", 32).unwrap_err();
        assert!(err.to_string().contains("expected a test"), "{err}");
        let err = parse(b"}", 32).unwrap_err();
        assert!(err.to_string().contains("expected a command"), "{err}");
    }

    #[test]
    fn nesting_is_bounded() {
        let deep_blocks = "if true {".repeat(40) + &"}".repeat(40);
        let err = parse(deep_blocks.as_bytes(), 32).unwrap_err();
        assert!(matches!(
            err,
            CompileError::NestingTooDeep { limit: 32, .. }
        ));
        let deep_tests = "if ".to_owned() + &"not ".repeat(100_000) + "true {}";
        let err = parse(deep_tests.as_bytes(), 32).unwrap_err();
        assert!(matches!(err, CompileError::NestingTooDeep { .. }));
        let fine = "if ".to_owned() + &"not ".repeat(15) + "true {}";
        assert!(parse(fine.as_bytes(), 32).is_ok());
    }
}
