// Syntax of the .sbx policy language: declarations, not code. See docs/language.md.
//
// The parse tree never leaves the front end: compiler/frontend/ast_builder.cc turns
// it into the typed AST, and names and values are checked there, not here.
parser grammar SbxParser;

options { tokenVocab = SbxLexer; }

file : stdlibLock? importDecl* topDecl* EOF;

// `stdlib sha256 "<hex>"`: the digest of the stdlib the policy was reviewed against; sbxc warns
// when its own stdlib differs (stdlib-lock-mismatch, docs/contracts.md).
stdlibLock : STDLIB pin;

importDecl
    : IMPORT modulePath (AS name)?     # stdImport
    | IMPORT STRING (AS name)?         # fileImport
    ;
modulePath : name (DOT name)*;

topDecl : attribute* (taskDecl | profileDecl | groupDecl);

taskDecl    : TASK name LBRACE taskItem* RBRACE;
profileDecl : PROFILE name LBRACE taskItem* RBRACE;
groupDecl   : GROUP name LBRACE (syscallRef (COMMA syscallRef)* COMMA?)? RBRACE;

// @suppress(wildcard-egress, reason "vendor CDN", until 2027-01-31)
attribute : AT_SIGN SUPPRESS LPAREN name COMMA REASON STRING (COMMA UNTIL DATE)? RPAREN;

taskItem : attribute* taskStmt;
taskStmt
    : USE qualifiedName (COMMA qualifiedName)*                      # useStmt
    | DESCRIPTION STRING                                            # descriptionStmt
    | OWNER STRING                                                  # ownerStmt
    | IDENTITY name STRING (SUBJECT STRING)?                        # identityStmt
    | TIMEOUT QUANTITY                                              # timeoutStmt
    | EXPECT TIER INT                                               # expectStmt
    | MATURITY name                                                 # maturityStmt
    | FACING name                                                   # facingStmt
    | OPERATOR name                                                 # operatorStmt
    | INPUT name name name (FROM name)? (AT STRING)?                # inputStmt
    | access=(READ | WRITE | EXEC) pathRef (COMMA pathRef)* IDENT*  # pathStmt
    | SCRATCH STRING (SIZE QUANTITY)?                               # scratchStmt
    | MASK STRING (COMMA STRING)*                                   # maskStmt
    | DEVICE STRING (COMMA STRING)*                                 # deviceStmt
    | CAPABILITY name (COMMA name)*                                 # capabilityStmt
    | NETWORK name                                                  # networkStmt
    | CONNECT destination (COMMA destination)*                      # connectStmt
    | ENV envItem (COMMA envItem)*                                  # envStmt
    | DELEGATE qualifiedName (PASSING passItem (COMMA passItem)*)?  # delegateStmt
    | TOOL name LBRACE toolItem* RBRACE                             # toolDecl
    | SECRET name LBRACE secretItem* RBRACE                         # secretDecl
    | SYSCALLS LBRACE syscallItem* RBRACE                           # syscallsStmt
    | LIMITS LBRACE limitItem* RBRACE                               # limitsStmt
    ;

// A path: absolute, the workspace, or a path inside the workspace (`workspace "bin"`); an
// executable may be pinned by its digest (`exec "/usr/bin/jq" sha256 "<hex>"`).
pathRef : (STRING | WORKSPACE STRING?) pin?;
pin : IDENT STRING;
destination : STRING IDENT?;
envItem : name (ASSIGN STRING)?;
passItem : name | SECRET name;

toolItem : attribute* toolStmt;
toolStmt
    : DESCRIPTION STRING                                            # toolDescription
    | EXEC STRING                                                   # toolExec
    | SYSTEM STRING IDENT?                                          # toolSystem
    | ACTION name EFFECT name (TO sinkList)? IDENT? approvalClause? actionBody?  # toolAction
    | CONNECT destination (COMMA destination)*                      # toolConnect
    | USES SECRET name (COMMA name)*                                # toolUses
    ;

// `to "#ops-alerts", "mailto:*@acme.example"`: where a send action's data goes.
sinkList : STRING (COMMA STRING)*;

// `approval by "release-managers" timeout 2m`: a human releases each request, or it is denied.
approvalClause : APPROVAL (BY STRING)? (TIMEOUT QUANTITY)?;

// `{ request PATCH "https://tickets.acme.example/api/v2/tickets/{id}/labels" }`: the HTTP
// requests the action consists of, which sbx-run's proxy lets the tool send (docs/language.md).
actionBody : LBRACE actionItem* RBRACE;
actionItem : attribute* actionStmt;
actionStmt
    : REQUEST name STRING (QUERY STRING (COMMA STRING)*)?             # actionRequest
    ;

secretItem : attribute* secretStmt;
secretStmt
    : DESCRIPTION STRING                                            # secretDescription
    | SOURCE name? STRING                                           # secretSource
    | SCOPE STRING (COMMA STRING)*                                  # secretScope
    | AUDIENCE STRING                                               # secretAudience
    | TTL QUANTITY                                                  # secretTtl
    | EXPOSE name (STRING | IDENT)? (FOR name)?                     # secretExpose
    | INJECT name STRING STRING (FOR name)?                         # secretInject
    ;

syscallItem : attribute* syscallStmt;
syscallStmt
    : DEFAULT action                                                # syscallDefault
    | ARCH name (COMMA name)*                                       # syscallArch
    | FOREIGN_ARCH action                                           # syscallForeignArch
    | BASELINE name                                                 # syscallBaseline
    | action syscallRef (COMMA syscallRef)* (IF condition (AND condition)*)?  # syscallRule
    ;
action : ALLOW | ERRNO (INT | name) | KILL | TRAP | LOG | NOTIFY;
syscallRef : AT_SIGN qualifiedName | name;
condition
    : argument op=(EQ | NE | LT | LE | GT | GE) value                 # compareCondition
    | argument AMP value EQ value                                     # maskedCondition
    | argument IN LBRACE value (COMMA value)* COMMA? RBRACE           # setCondition
    ;
argument : name (COLON INT)?;
value : atom (PIPE atom)*;
atom : INT | name;

// Limit names are plain words (memory, pids...), so a keyword here means the block was not closed.
limitItem : attribute* IDENT (QUANTITY | INT);

qualifiedName : name (DOT name)*;

// Keywords double as names wherever a name is expected.
name
    : IDENT
    | IMPORT | AS | STDLIB | TASK | PROFILE | GROUP | USE | DESCRIPTION | OWNER | IDENTITY | SUBJECT
    | TIMEOUT | EXPECT | TIER | MATURITY | FACING | OPERATOR | INPUT | FROM | AT | READ | WRITE
    | EXEC | WORKSPACE | SCRATCH | SIZE | MASK | DEVICE | CAPABILITY | NETWORK | TOOL | ACTION
    | EFFECT | APPROVAL | BY | SYSTEM | CONNECT | USES | SECRET | SOURCE | SCOPE | AUDIENCE | TTL
    | EXPOSE | FOR | ENV | SYSCALLS | DEFAULT | ALLOW | ERRNO | KILL | TRAP | LOG | NOTIFY | IF
    | AND | IN | ARCH | FOREIGN_ARCH | BASELINE | LIMITS | DELEGATE | PASSING | SUPPRESS | REASON
    | UNTIL | TO | REQUEST | QUERY | INJECT
    ;
