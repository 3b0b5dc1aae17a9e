// Tokens of the .sbx policy language. See docs/language.md.
//
// Keywords are the heads of statements and a few structural words. Enumerated
// values (effects, sensitivities, limit names, architectures...) are plain
// identifiers checked by the front end, so a misspelling gets "did you mean"
// instead of a syntax error. Every keyword is also accepted where a name is
// expected (a syscall called `read`, a tool called `deploy`).
lexer grammar SbxLexer;

IMPORT      : 'import';
AS          : 'as';
TASK        : 'task';
PROFILE     : 'profile';
GROUP       : 'group';
USE         : 'use';
DESCRIPTION : 'description';
OWNER       : 'owner';
IDENTITY    : 'identity';
SUBJECT     : 'subject';
TIMEOUT     : 'timeout';
EXPECT      : 'expect';
TIER        : 'tier';
MATURITY    : 'maturity';
FACING      : 'facing';
OPERATOR    : 'operator';
INPUT       : 'input';
FROM        : 'from';
AT          : 'at';
READ        : 'read';
WRITE       : 'write';
EXEC        : 'exec';
WORKSPACE   : 'workspace';
SCRATCH     : 'scratch';
SIZE        : 'size';
MASK        : 'mask';
DEVICE      : 'device';
CAPABILITY  : 'capability';
NETWORK     : 'network';
TOOL        : 'tool';
ACTION      : 'action';
EFFECT      : 'effect';
APPROVAL    : 'approval';
BY          : 'by';
SYSTEM      : 'system';
CONNECT     : 'connect';
USES        : 'uses';
SECRET      : 'secret';
SOURCE      : 'source';
SCOPE       : 'scope';
AUDIENCE    : 'audience';
TTL         : 'ttl';
EXPOSE      : 'expose';
FOR         : 'for';
ENV         : 'env';
SYSCALLS    : 'syscalls';
DEFAULT     : 'default';
ALLOW       : 'allow';
ERRNO       : 'errno';
KILL        : 'kill';
TRAP        : 'trap';
LOG         : 'log';
NOTIFY      : 'notify';
IF          : 'if';
AND         : 'and';
IN          : 'in';
ARCH        : 'arch';
FOREIGN_ARCH: 'foreign-arch';
BASELINE    : 'baseline';
LIMITS      : 'limits';
DELEGATE    : 'delegate';
PASSING     : 'passing';
SUPPRESS    : 'suppress';
REASON      : 'reason';
UNTIL       : 'until';

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
