<#--
  Ordo's additions to Calcite's SQL grammar (Parser.jj). This file is pasted into the generated
  grammar at the implementationFiles hook; config.fmpp names the productions below in the hooks
  that call them (statementParserMethods, createStatementParserMethods, dropStatementParserMethods,
  extraBinaryExpressions, setOptionParserMethod). See sql/PARSER.md for the accepted forms.
-->

// ---------------------------------------------------------------------------------------------
// Transactions: BEGIN / START TRANSACTION / COMMIT / END / ROLLBACK / ABORT (PostgreSQL 15
// "SQL Commands"; transaction modes as in SET TRANSACTION).
// ---------------------------------------------------------------------------------------------

SqlNode OrdoBegin() :
{
    final Span s;
    final TransactionModes[] modes = { TransactionModes.NONE };
}
{
    (
        <BEGIN> { s = span(); } [ <WORK> | <TRANSACTION> ]
    |
        <START> { s = span(); } <TRANSACTION>
    )
    [ OrdoTransactionModes(modes) ]
    {
        return new SqlBegin(s.end(this), modes[0]);
    }
}

SqlNode OrdoCommit() :
{
    final Span s;
}
{
    ( <COMMIT> | <END> ) { s = span(); } [ <WORK> | <TRANSACTION> ]
    {
        return new SqlCommit(s.end(this));
    }
}

SqlNode OrdoRollback() :
{
    final Span s;
}
{
    ( <ROLLBACK> | <ABORT> ) { s = span(); } [ <WORK> | <TRANSACTION> ]
    {
        return new SqlRollback(s.end(this));
    }
}

/** One or more transaction modes, separated by optional commas (PostgreSQL allows both). */
void OrdoTransactionModes(TransactionModes[] modes) :
{
}
{
    OrdoTransactionMode(modes)
    ( [ <COMMA> ] OrdoTransactionMode(modes) )*
}

void OrdoTransactionMode(TransactionModes[] modes) :
{
}
{
    <ISOLATION> <LEVEL>
    (
        <SERIALIZABLE> { modes[0] = modes[0].withIsolationLevel("SERIALIZABLE"); }
    |
        <REPEATABLE> <READ> { modes[0] = modes[0].withIsolationLevel("REPEATABLE READ"); }
    |
        LOOKAHEAD(2)
        <READ> <COMMITTED> { modes[0] = modes[0].withIsolationLevel("READ COMMITTED"); }
    |
        <READ> <UNCOMMITTED> { modes[0] = modes[0].withIsolationLevel("READ UNCOMMITTED"); }
    )
|
    LOOKAHEAD(2)
    <READ> <ONLY> { modes[0] = modes[0].withReadOnly(true); }
|
    <READ> <WRITE> { modes[0] = modes[0].withReadOnly(false); }
|
    <DEFERRABLE> { modes[0] = modes[0].withDeferrable(true); }
|
    <NOT> <DEFERRABLE> { modes[0] = modes[0].withDeferrable(false); }
}

// ---------------------------------------------------------------------------------------------
// SET / RESET (replaces Calcite's SqlSetOption production through setOptionParserMethod, so
// ALTER SESSION SET ... reaches it too).
// ---------------------------------------------------------------------------------------------

SqlAlter OrdoSetOption(Span s, String scope) :
{
    SqlIdentifier name;
    SqlNode val = null;
    final List<SqlNode> values = new ArrayList<SqlNode>();
    String sc = scope;
    final TransactionModes[] modes = { TransactionModes.NONE };
    boolean sessionDefault = false;
}
{
    (
        <SET> { s.add(this); }
        [
            LOOKAHEAD({ getToken(1).kind == SESSION && getToken(2).kind != EQ
                && getToken(2).kind != TO })
            <SESSION> { sc = "SESSION"; }
        |
            <LOCAL> { sc = "LOCAL"; }
        ]
        (
            LOOKAHEAD(2)
            <CHARACTERISTICS> <AS> <TRANSACTION> OrdoTransactionModes(modes) {
                return new SqlSetTransaction(s.end(this), sc, modes[0], true);
            }
        |
            LOOKAHEAD(2)
            <TRANSACTION> OrdoTransactionModes(modes) {
                return new SqlSetTransaction(s.end(this), sc, modes[0], false);
            }
        |
            <TIME> { name = new SqlIdentifier("timezone", getPos()); } <ZONE>
            (
                <LOCAL> { val = null; }
            |
                <DEFAULT_> { val = null; }
            |
                val = Literal()
            |
                val = SimpleIdentifier()
            )
            {
                return new SqlSetOption(s.end(this), sc, name, val);
            }
        |
            name = CompoundIdentifier()
            ( <EQ> | <TO> )
            (
                <DEFAULT_> { val = null; }
            |
                val = OrdoSetValue() { values.add(val); }
                (
                    <COMMA> val = OrdoSetValue() { values.add(val); }
                )*
                {
                    val = values.size() == 1
                        ? values.get(0)
                        : new SqlNodeList(values, Span.of(values).pos());
                }
            )
            {
                return new SqlSetOption(s.end(this), sc, name, val);
            }
        )
    |
        <RESET> { s.add(this); }
        (
            <ALL> { name = new SqlIdentifier("all", getPos()); }
        |
            <TIME> { name = new SqlIdentifier("timezone", getPos()); } <ZONE>
        |
            name = CompoundIdentifier()
        )
        {
            return new SqlSetOption(s.end(name), sc, name, null);
        }
    )
}

/** A value of SET: a literal, a name (e.g. {@code iso}, {@code off}) or ON. */
SqlNode OrdoSetValue() :
{
    final SqlNode e;
}
{
    (
        e = Literal()
    |
        e = SimpleIdentifier()
    |
        <ON> { e = new SqlIdentifier("on", getPos()); }
    )
    { return e; }
}

// ---------------------------------------------------------------------------------------------
// SHOW, DESC, EXPLAIN
// ---------------------------------------------------------------------------------------------

SqlNode OrdoShow() :
{
    final Span s;
    final SqlIdentifier name;
}
{
    <SHOW> { s = span(); }
    (
        LOOKAHEAD(2)
        <TABLES> { return SqlShow.tables(s.end(this)); }
    |
        LOOKAHEAD(2)
        <STREAMS> { return SqlShow.streams(s.end(this)); }
    |
        LOOKAHEAD(2)
        <CONNECTORS> { return SqlShow.connectors(s.end(this)); }
    |
        LOOKAHEAD(2)
        <VIEWS> { return SqlShow.views(s.end(this)); }
    |
        LOOKAHEAD(2)
        <QUERIES> { return SqlShow.queries(s.end(this)); }
    |
        LOOKAHEAD(3)
        <TRANSACTION> <ISOLATION> <LEVEL> {
            return SqlShow.setting(s.end(this), "transaction_isolation");
        }
    |
        <TIME> <ZONE> { return SqlShow.setting(s.end(this), "timezone"); }
    |
        <ALL> { return SqlShow.setting(s.end(this), "all"); }
    |
        name = CompoundIdentifier() {
            return SqlShow.setting(s.end(this), String.join(".", name.names));
        }
    )
}

/** {@code TERMINATE QUERY <id>}: ends a push query running on this gateway (SHOW QUERIES). */
SqlNode OrdoTerminateQuery() :
{
    final Span s;
    final SqlLiteral id;
}
{
    <TERMINATE> { s = span(); } <QUERY>
    id = UnsignedNumericLiteral() {
        return new SqlTerminateQuery(s.end(this), id);
    }
}

/** {@code DESC t}: Calcite's DESCRIBE handles {@code DESCRIBE [TABLE] t}. */
SqlNode OrdoDesc() :
{
    final Span s;
    final SqlIdentifier table;
}
{
    <DESC> { s = span(); } [ <TABLE> ]
    table = CompoundIdentifier() {
        return new SqlDescribeTable(s.end(this), table, null);
    }
}

/**
 * {@code EXPLAIN <statement>} (PostgreSQL's form) besides Calcite's {@code EXPLAIN PLAN ... FOR},
 * which is delegated to Calcite's production. {@code EXPLAIN CREATE ...} explains a CREATE
 * without running it (the engine takes CREATE MATERIALIZED VIEW only), and {@code EXPLAIN
 * [MATERIALIZED] VIEW name} an existing materialized view.
 */
SqlNode OrdoExplain() :
{
    final Span s;
    final SqlNode stmt;
    final SqlIdentifier name;
}
{
    (
        LOOKAHEAD(2)
        stmt = SqlExplain() { return stmt; }
    |
        <EXPLAIN> { s = span(); }
        (
            // VIEW and MATERIALIZED are not reserved: "EXPLAIN view" alone is a query of a column.
            LOOKAHEAD(3)
            [ <MATERIALIZED> ] <VIEW> name = CompoundIdentifier() {
                return new SqlExplainView(s.end(this), name);
            }
        |
            stmt = SqlCreate()
        |
            stmt = OrdoInsert()
        |
            stmt = SqlUpdate()
        |
            stmt = SqlDelete()
        |
            stmt = SqlMerge()
        |
            stmt = OrdoQuery()
        )
        {
            return new SqlExplain(s.end(stmt), stmt,
                SqlExplainLevel.EXPPLAN_ATTRIBUTES.symbol(SqlParserPos.ZERO),
                SqlExplain.Depth.PHYSICAL.symbol(SqlParserPos.ZERO),
                SqlExplainFormat.TEXT.symbol(SqlParserPos.ZERO),
                nDynamicParams);
        }
    )
}

// ---------------------------------------------------------------------------------------------
// Queries with an optional AS OF suffix (time travel).
// ---------------------------------------------------------------------------------------------

/**
 * A query (or, as in Calcite, a row expression), optionally followed by
 * {@code AS OF SYSTEM TIME '<timestamp>'} or {@code AS OF LOG POSITION '<ts>:<partition>:<offset>'}.
 */
SqlNode OrdoQuery() :
{
    SqlNode q;
    final SqlAsOf.Kind kind;
    final SqlParserPos asOfPos;
    final SqlLiteral literal;
}
{
    q = OrderedQueryOrExpr(ExprContext.ACCEPT_QUERY)
    // PostgreSQL's row locking clause FOR UPDATE: accepted and dropped. Ordo reads
    // at a snapshot and a transaction block's COMMIT asserts every row it read, so a row read
    // FOR UPDATE is protected exactly like any other read (ARCHITECTURE.md, "SQL").
    [
        LOOKAHEAD(2)
        <FOR> <UPDATE>
        {
            if (!q.isA(SqlKind.QUERY)) {
                throw OrdoParserErrors.error(getPos(), "FOR UPDATE applies to queries only");
            }
        }
    ]
    [
        (
            <AS_OF_SYSTEM_TIME> { kind = SqlAsOf.Kind.SYSTEM_TIME; }
        |
            <AS_OF_LOG_POSITION> { kind = SqlAsOf.Kind.LOG_POSITION; }
        )
        { asOfPos = getPos(); }
        <QUOTED_STRING> {
            literal = SqlLiteral.createCharString(
                SqlParserUtil.parseString(token.image), getPos());
            if (!q.isA(SqlKind.QUERY)) {
                throw OrdoParserErrors.error(asOfPos, "AS OF applies to queries only");
            }
            q = new SqlAsOf(asOfPos.plus(getPos()), q, kind, literal);
        }
    |
        // A push query: EMIT CHANGES [AT POSITION '<position>' | AT TIME '<timestamp>'].
        q = OrdoEmitChanges(q)
    ]
    { return q; }
}

/**
 * The push-query suffix {@code EMIT CHANGES}, optionally {@code AT POSITION '<position>'} or
 * {@code AT TIME '<timestamp>'} (where the changes start: strictly after that position).
 */
SqlNode OrdoEmitChanges(SqlNode q) :
{
    final SqlParserPos emitPos;
    SqlEmitChanges.Start start = SqlEmitChanges.Start.NOW;
    SqlLiteral literal = null;
}
{
    (
        <EMIT_CHANGES_AT_POSITION> { emitPos = getPos(); start = SqlEmitChanges.Start.POSITION; }
        <QUOTED_STRING> {
            literal = SqlLiteral.createCharString(SqlParserUtil.parseString(token.image), getPos());
        }
    |
        <EMIT_CHANGES_AT_TIME> { emitPos = getPos(); start = SqlEmitChanges.Start.TIME; }
        <QUOTED_STRING> {
            literal = SqlLiteral.createCharString(SqlParserUtil.parseString(token.image), getPos());
        }
    |
        <EMIT_CHANGES> { emitPos = getPos(); }
    )
    {
        if (!q.isA(SqlKind.QUERY)) {
            throw OrdoParserErrors.error(emitPos, "EMIT CHANGES applies to queries only");
        }
        return new SqlEmitChanges(emitPos.plus(getPos()), q, start, literal);
    }
}

// ---------------------------------------------------------------------------------------------
// INSERT ... ON CONFLICT (PostgreSQL 15 "INSERT"), around Calcite's INSERT / UPSERT production.
// ---------------------------------------------------------------------------------------------

SqlNode OrdoInsert() :
{
    final SqlNode insert;
    final Span s;
    SqlNodeList target = null;
    final List<SqlNode> columns = new ArrayList<SqlNode>();
    final List<SqlNode> values = new ArrayList<SqlNode>();
    SqlNode condition = null;
}
{
    insert = SqlInsert()
    (
        <ON> { s = span(); } <CONFLICT>
        [ target = ParenthesizedSimpleIdentifierList() ]
        <DO>
        (
            <NOTHING> {
                return new SqlInsertOnConflict(s.end(this), (SqlInsert) insert, target,
                    SqlInsertOnConflict.Action.DO_NOTHING, null, null, null);
            }
        |
            <UPDATE> <SET>
            OrdoConflictSetItem(columns, values)
            ( <COMMA> OrdoConflictSetItem(columns, values) )*
            [ <WHERE> condition = Expression(ExprContext.ACCEPT_SUB_QUERY) ]
            {
                return new SqlInsertOnConflict(s.end(this), (SqlInsert) insert, target,
                    SqlInsertOnConflict.Action.DO_UPDATE,
                    new SqlNodeList(columns, Span.of(columns).pos()),
                    new SqlNodeList(values, Span.of(values).pos()),
                    condition);
            }
        )
    |
        { return insert; }
    )
}

void OrdoConflictSetItem(List<SqlNode> columns, List<SqlNode> values) :
{
    final SqlIdentifier column;
    final SqlNode value;
}
{
    column = SimpleIdentifier() <EQ> value = Expression(ExprContext.ACCEPT_SUB_QUERY) {
        columns.add(column);
        values.add(value);
    }
}

// ---------------------------------------------------------------------------------------------
// DDL: tables and streams.
// ---------------------------------------------------------------------------------------------

boolean OrdoIfNotExists() :
{
}
{
    LOOKAHEAD(3) <IF> <NOT> <EXISTS> { return true; }
|
    { return false; }
}

boolean OrdoIfExists() :
{
}
{
    LOOKAHEAD(2) <IF> <EXISTS> { return true; }
|
    { return false; }
}

SqlCreate OrdoCreateTable(Span s, boolean replace) :
{
    final boolean ifNotExists;
    final SqlIdentifier name;
    final List<SqlNode> columns = new ArrayList<SqlNode>();
    final List<SqlNodeList> keys = new ArrayList<SqlNodeList>();
}
{
    <TABLE> {
        if (replace) {
            throw OrdoParserErrors.error(s.pos(), "CREATE OR REPLACE TABLE is not supported");
        }
    }
    ifNotExists = OrdoIfNotExists()
    name = CompoundIdentifier()
    <LPAREN>
    OrdoTableElement(columns, keys)
    ( <COMMA> OrdoTableElement(columns, keys) )*
    <RPAREN>
    {
        return new SqlCreateTable(s.end(this), ifNotExists, name,
            new SqlNodeList(columns, Span.of(columns).pos()), keys);
    }
}

void OrdoTableElement(List<SqlNode> columns, List<SqlNodeList> keys) :
{
    final SqlColumnDeclaration column;
    final SqlNodeList key;
}
{
    [ <CONSTRAINT> SimpleIdentifier() ]
    <PRIMARY> <KEY> key = ParenthesizedSimpleIdentifierList() { keys.add(key); }
|
    column = OrdoColumn(true) { columns.add(column); }
}

/**
 * A column: name, type, then NOT NULL / NULL / DEFAULT expr / PRIMARY KEY in any order (each at
 * most once). Stream columns ({@code full} false) take only NOT NULL / NULL.
 */
SqlColumnDeclaration OrdoColumn(boolean full) :
{
    final SqlIdentifier name;
    final SqlDataTypeSpec type;
    final Span s;
    Boolean nullable = null;
    SqlNode defaultValue = null;
    boolean primaryKey = false;
}
{
    name = SimpleIdentifier() { s = span(); }
    type = DataType()
    (
        <NOT> <NULL> {
            nullable = OrdoParserErrors.once(nullable, Boolean.FALSE, getPos());
        }
    |
        <NULL> {
            nullable = OrdoParserErrors.once(nullable, Boolean.TRUE, getPos());
        }
    |
        <DEFAULT_> {
            if (!full) {
                throw OrdoParserErrors.error(getPos(), "DEFAULT is not allowed on a stream column");
            }
            if (defaultValue != null) {
                throw OrdoParserErrors.error(getPos(), "multiple DEFAULT clauses");
            }
        }
        defaultValue = Expression(ExprContext.ACCEPT_SUB_QUERY)
    |
        <PRIMARY> {
            if (!full) {
                throw OrdoParserErrors.error(getPos(),
                    "PRIMARY KEY is not allowed on a stream column");
            }
            if (primaryKey) {
                throw OrdoParserErrors.error(getPos(), "multiple PRIMARY KEY clauses");
            }
        }
        <KEY> { primaryKey = true; }
    )*
    {
        return new SqlColumnDeclaration(s.end(this), name, type, nullable, defaultValue,
            primaryKey);
    }
}

SqlDrop OrdoDropTable(Span s, boolean replace) :
{
    final boolean ifExists;
    final SqlIdentifier name;
}
{
    <TABLE> ifExists = OrdoIfExists() name = CompoundIdentifier() {
        return new SqlDropTable(s.end(this), ifExists, name);
    }
}

SqlNode OrdoAlterTable() :
{
    final Span s;
    final SqlIdentifier name;
    final boolean ifNotExists;
    final SqlColumnDeclaration column;
}
{
    <ALTER> { s = span(); } <TABLE> name = CompoundIdentifier()
    <ADD> [ <COLUMN> ]
    ifNotExists = OrdoIfNotExists()
    column = OrdoColumn(true) {
        return new SqlAlterTableAddColumn(s.end(this), name, ifNotExists, column);
    }
}

SqlCreate OrdoCreateStream(Span s, boolean replace) :
{
    final boolean ifNotExists;
    final SqlIdentifier name;
    SqlNodeList columns = null;
    final Map<String, SqlLiteral> opts = new LinkedHashMap<String, SqlLiteral>();
}
{
    <STREAM> {
        if (replace) {
            throw OrdoParserErrors.error(s.pos(), "CREATE OR REPLACE STREAM is not supported");
        }
    }
    ifNotExists = OrdoIfNotExists()
    name = CompoundIdentifier()
    [ columns = OrdoStreamColumns() ]
    [ OrdoWithOptions(opts) ]
    {
        return new SqlCreateStream(s.end(this), ifNotExists, name, columns, opts);
    }
}

SqlNodeList OrdoStreamColumns() :
{
    final Span s;
    final List<SqlNode> columns = new ArrayList<SqlNode>();
    SqlColumnDeclaration column;
}
{
    <LPAREN> { s = span(); }
    column = OrdoColumn(false) { columns.add(column); }
    ( <COMMA> column = OrdoColumn(false) { columns.add(column); } )*
    <RPAREN>
    { return new SqlNodeList(columns, s.end(this)); }
}

/** {@code WITH (name = literal, ...)}: names are unique, kept in the order written. */
void OrdoWithOptions(Map<String, SqlLiteral> opts) :
{
}
{
    <WITH> <LPAREN>
    OrdoOption(opts)
    ( <COMMA> OrdoOption(opts) )*
    <RPAREN>
}

/**
 * An option's name: an identifier, or one of the reserved words USER and TABLE, which connector
 * options use (as PostgreSQL's own connection options do).
 */
SqlIdentifier OrdoOptionName() :
{
    final SqlIdentifier name;
}
{
    (
        name = SimpleIdentifier()
    |
        <USER> { name = new SqlIdentifier("user", getPos()); }
    |
        <TABLE> { name = new SqlIdentifier("table", getPos()); }
    )
    { return name; }
}

void OrdoOption(Map<String, SqlLiteral> opts) :
{
    final SqlIdentifier name;
    final SqlNode value;
}
{
    name = OrdoOptionName() <EQ> value = Literal() {
        if (!(value instanceof SqlLiteral)) {
            throw OrdoParserErrors.error(value.getParserPosition(),
                "option \"" + name.getSimple() + "\" needs a single literal value");
        }
        if (opts.put(name.getSimple(), (SqlLiteral) value) != null) {
            throw OrdoParserErrors.error(name.getParserPosition(),
                "option \"" + name.getSimple() + "\" specified more than once");
        }
    }
}

SqlNode OrdoAlterStream() :
{
    final Span s;
    final SqlIdentifier name;
    final SqlNodeList columns;
    final Map<String, SqlLiteral> opts = new LinkedHashMap<String, SqlLiteral>();
}
{
    <ALTER> { s = span(); } <STREAM> name = CompoundIdentifier()
    <SET> <SCHEMA> columns = OrdoStreamColumns()
    [ OrdoWithOptions(opts) ]
    {
        return new SqlAlterStreamSetSchema(s.end(this), name, columns, opts);
    }
}

SqlDrop OrdoDropStream(Span s, boolean replace) :
{
    final boolean ifExists;
    final SqlIdentifier name;
}
{
    <STREAM> ifExists = OrdoIfExists() name = CompoundIdentifier() {
        return new SqlDropStream(s.end(this), ifExists, name);
    }
}

// ---------------------------------------------------------------------------------------------
// Source connectors: CREATE SOURCE CONNECTOR, DROP CONNECTOR, PAUSE / RESUME CONNECTOR.
// ---------------------------------------------------------------------------------------------

SqlCreate OrdoCreateConnector(Span s, boolean replace) :
{
    final boolean ifNotExists;
    final SqlIdentifier name;
    final SqlIdentifier sourceKind;
    final Map<String, SqlLiteral> opts = new LinkedHashMap<String, SqlLiteral>();
    final boolean sink;
    final boolean intoTable;
    boolean view = false;
    final SqlIdentifier target;
}
{
    (
        <SOURCE> { sink = false; }
    |
        <SINK> { sink = true; }
    )
    <CONNECTOR> {
        if (replace) {
            throw OrdoParserErrors.error(s.pos(), "CREATE OR REPLACE CONNECTOR is not supported");
        }
    }
    ifNotExists = OrdoIfNotExists()
    name = CompoundIdentifier()
    (
        <FROM> {
            if (sink) {
                throw OrdoParserErrors.error(getPos(),
                    "a sink connector is CREATE SINK CONNECTOR name TO <system> WITH (...) FROM TABLE|STREAM|VIEW t");
            }
        }
        sourceKind = SimpleIdentifier()
        OrdoWithOptions(opts)
        <INTO>
    |
        <TO> {
            if (!sink) {
                throw OrdoParserErrors.error(getPos(),
                    "a source connector is CREATE SOURCE CONNECTOR name FROM <system> WITH (...) INTO TABLE|STREAM t");
            }
        }
        sourceKind = SimpleIdentifier()
        OrdoWithOptions(opts)
        <FROM>
    )
    (
        <STREAM> { intoTable = false; }
    |
        <TABLE> { intoTable = true; }
    |
        <VIEW> {
            if (!sink) {
                throw OrdoParserErrors.error(getPos(),
                    "a source connector writes INTO TABLE or INTO STREAM, not into a view");
            }
            intoTable = true;
            view = true;
        }
    )
    target = CompoundIdentifier()
    {
        return new SqlCreateConnector(s.end(this), ifNotExists, name, sourceKind, opts,
            intoTable, target, sink, view);
    }
}

SqlDrop OrdoDropConnector(Span s, boolean replace) :
{
    final boolean ifExists;
    final SqlIdentifier name;
}
{
    <CONNECTOR> ifExists = OrdoIfExists() name = CompoundIdentifier() {
        return new SqlDropConnector(s.end(this), ifExists, name);
    }
}

// ---------------------------------------------------------------------------------------------
// Materialized views
// ---------------------------------------------------------------------------------------------

SqlCreate OrdoCreateMaterializedView(Span s, boolean replace) :
{
    final boolean ifNotExists;
    final SqlIdentifier name;
    final SqlNode query;
    final Map<String, SqlLiteral> opts = new LinkedHashMap<String, SqlLiteral>();
}
{
    <MATERIALIZED> <VIEW> {
        if (replace) {
            throw OrdoParserErrors.error(s.pos(), "CREATE OR REPLACE MATERIALIZED VIEW is not supported");
        }
    }
    ifNotExists = OrdoIfNotExists()
    name = CompoundIdentifier()
    [ OrdoWithOptions(opts) ]
    <AS>
    query = OrderedQueryOrExpr(ExprContext.ACCEPT_QUERY) {
        return new SqlCreateMaterializedView(s.end(this), ifNotExists, name, opts, query);
    }
}

SqlDrop OrdoDropView(Span s, boolean replace) :
{
    final boolean ifExists;
    final SqlIdentifier name;
}
{
    [ <MATERIALIZED> ] <VIEW> ifExists = OrdoIfExists() name = CompoundIdentifier() {
        return new SqlDropView(s.end(this), ifExists, name);
    }
}

SqlNode OrdoPauseConnector() :
{
    final Span s;
    final boolean pause;
    final SqlIdentifier name;
}
{
    (
        <PAUSE> { s = span(); pause = true; }
    |
        <RESUME> { s = span(); pause = false; }
    )
    <CONNECTOR> name = CompoundIdentifier() {
        return new SqlPauseConnector(s.end(this), name, pause);
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL's "expr::type" cast, parsed as a binary operator of the tightest precedence whose
// calls are plain CAST calls (OrdoInfixCast.INSTANCE).
// ---------------------------------------------------------------------------------------------

void OrdoInfixCast(List<Object> list, ExprContext exprContext, Span s) :
{
    final SqlDataTypeSpec dt;
}
{
    <INFIX_CAST> {
        checkNonQueryExpression(exprContext);
    }
    dt = DataType() {
        list.add(
            new SqlParserUtil.ToTreeListItem(
                OrdoInfixCast.INSTANCE, getPos()));
        list.add(dt);
    }
}
