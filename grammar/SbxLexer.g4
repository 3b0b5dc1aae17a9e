// Tokens of the .sbx policy language. See docs/language.md.
//
// Keywords are the heads of statements and a few structural words. Enumerated
// values (effects, sensitivities, limit names, architectures...) are plain
// identifiers checked by the front end, so a misspelling gets "did you mean"
// instead of a syntax error. Every keyword is also accepted where a name is
// expected (a syscall called `read`, a tool called `deploy`).
lexer grammar SbxLexer;

// Keywords. The lexer matches them as IDENT and compiler/frontend/keywords.def turns the
// reserved spellings into these types: one small IDENT rule keeps the lexer's DFA small, which
// makes a cold start (one `sbxc check`) several times faster than a rule per keyword.
tokens {
  IMPORT, AS, STDLIB, TASK, PROFILE, GROUP, USE, DESCRIPTION, OWNER, IDENTITY, SUBJECT, TIMEOUT,
  EXPECT, TIER, MATURITY, FACING, OPERATOR, INPUT, FROM, AT, READ, WRITE, EXEC, WORKSPACE,
  SCRATCH, SIZE, MASK, DEVICE, CAPABILITY, NETWORK, TOOL, ACTION, EFFECT, APPROVAL, BY, SYSTEM,
  CONNECT, USES, SECRET, SOURCE, SCOPE, AUDIENCE, TTL, EXPOSE, FOR, ENV, SYSCALLS, DEFAULT,
  ALLOW, ERRNO, KILL, TRAP, LOG, NOTIFY, IF, AND, IN, ARCH, FOREIGN_ARCH, BASELINE, LIMITS,
  DELEGATE, PASSING, SUPPRESS, REASON, UNTIL, TO, REQUEST, QUERY, INJECT
}

LBRACE : '{';
RBRACE : '}';
LPAREN : '(';
RPAREN : ')';
COMMA  : ',';
DOT    : '.';
COLON  : ':';
AT_SIGN: '@';
EQ     : '==';
NE     : '!=';
LE     : '<=';
GE     : '>=';
LT     : '<';
GT     : '>';
ASSIGN : '=';
AMP    : '&';
PIPE   : '|';

// 2027-01-31: suppression expiry dates.
DATE : DIGIT DIGIT DIGIT DIGIT '-' DIGIT DIGIT '-' DIGIT DIGIT;
// Before QUANTITY, so that 0xff is a number and not 0 with unit "xff".
INT : '0x' HEXDIGIT+ | '0o' [0-7]+ | '0b' [01]+ | DIGIT+;
// 10m, 1h30m, 512MiB: a number with a unit, checked by the front end.
QUANTITY : DIGIT+ ('.' DIGIT+)? LETTER+ (DIGIT+ LETTER+)*;
STRING : '"' (~["\\\r\n] | '\\' .)* '"';
// Letters, digits, '_' and inner '-' (rule names like wildcard-egress, systemd-style @basic-io).
IDENT : (LETTER | '_') (LETTER | DIGIT | '_' | '-' (LETTER | DIGIT | '_'))*;

COMMENT : '#' ~[\r\n]* -> channel(HIDDEN);
NEWLINE : ('\r'? '\n' | '\r') -> channel(HIDDEN);
WS : [ \t]+ -> channel(HIDDEN);

// Anything else is reported by the front end as an unexpected character.
UNTERMINATED_STRING : '"' (~["\\\r\n] | '\\' .)*;
ERROR_CHAR : .;

fragment DIGIT : [0-9];
fragment HEXDIGIT : [0-9a-fA-F];
fragment LETTER : [a-zA-Z];
