package io.ordo.sql.engine;

import io.ordo.proto.AbortReason;
import io.ordo.proto.Assert;
import io.ordo.proto.CreateStreamRequest;
import io.ordo.proto.Delete;
import io.ordo.proto.DeleteStreamRequest;
import io.ordo.proto.Operation;
import io.ordo.proto.Outcome;
import io.ordo.proto.Put;
import io.ordo.proto.Stream;
import io.ordo.proto.Transaction;
import io.ordo.proto.TxnResult;
import io.ordo.proto.Value;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.ConnectorDef;
import io.ordo.sql.encoding.ConnectorCodec;
import io.ordo.proto.Position;
import io.ordo.sql.catalog.StreamDef;
import io.ordo.sql.catalog.TableDef;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DDL as Ordo transactions on catalog keys: CREATE asserts the name is free (as a table and as a
 * stream) and puts the definition; ALTER and DROP assert the definition they read is unchanged, so
 * concurrent DDL on one object is serialized, and every DML statement asserts the definition it
 * used, so DDL and DML on a table are ordered by the log like any two transactions.
 *
 * <p>A dropped table's rows stay in the key space under its table id, which no later table reuses
 * (ids are random 64-bit values chosen at CREATE): unreachable, not yet reclaimed.
 */
final class Ddl {
  private static final SecureRandom IDS = new SecureRandom();
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*([smhdw]?)");

  private final OrdoSession session;
  private final OrdoSqlEngine engine;

  Ddl(OrdoSession session, OrdoSqlEngine engine) {
    this.session = session;
    this.engine = engine;
  }

  StatementResult run(Plan plan) throws SqlException, InterruptedException {
    if (plan instanceof Plan.CreateTable c) {
      return createTable(c);
    }
    if (plan instanceof Plan.DropTable d) {
      return dropTable(d);
    }
    if (plan instanceof Plan.AddColumn a) {
      return addColumn(a);
    }
    if (plan instanceof Plan.CreateStream c) {
      return createStream(c);
    }
    if (plan instanceof Plan.AlterStreamSchema a) {
      return alterStreamSchema(a);
    }
    if (plan instanceof Plan.DropStream d) {
      return dropStream(d);
    }
    if (plan instanceof Plan.CreateConnector c) {
      return createConnector(c);
    }
    if (plan instanceof Plan.DropConnector d) {
      return dropConnector(d);
    }
    if (plan instanceof Plan.PauseConnector p) {
      return pauseConnector(p);
    }
    if (plan instanceof Plan.CreateView v) {
      return new Views(session, engine, this).create(v);
    }
    if (plan instanceof Plan.DropView v) {
      return new Views(session, engine, this).drop(v);
    }
    throw new SqlException(SqlState.FEATURE_NOT_SUPPORTED, "unsupported statement " + plan);
  }

  Catalog freshCatalog() throws SqlException, InterruptedException {
    return Catalog.read(engine.backend().store(), session.fresh().position());
  }

  private StatementResult createTable(Plan.CreateTable c) throws SqlException, InterruptedException {
    List<ColumnDef> columns = columns(c.columns(), c.position());
    List<String> key = new ArrayList<>(c.primaryKey());
    for (Plan.ColumnSpec s : c.columns()) {
      if (s.primaryKey()) {
        if (!key.isEmpty() && !key.equals(List.of(s.name()))) {
          throw new SqlException(
              SqlState.INVALID_TABLE_DEFINITION,
              "multiple primary keys for table \"" + c.name() + "\" are not allowed", s.position());
        }
        key = new ArrayList<>(List.of(s.name()));
      }
    }
    if (key.isEmpty()) {
      throw new SqlException(
          SqlState.INVALID_TABLE_DEFINITION,
          "table \"" + c.name() + "\" needs a PRIMARY KEY: a row is one key of Ordo's key space",
          c.position());
    }
    Set<String> seen = new HashSet<>();
    for (String k : key) {
      ColumnDef col = columns.stream().filter(x -> x.name().equals(k)).findFirst().orElseThrow(
          () -> new SqlException(
              SqlState.UNDEFINED_COLUMN,
              "column \"" + k + "\" named in key does not exist", c.position()));
      if (!seen.add(k)) {
        throw new SqlException(
            SqlState.DUPLICATE_COLUMN, "column \"" + k + "\" appears twice in primary key",
            c.position());
      }
      if (col.type() == SqlType.JSONB || col.type() == SqlType.DOUBLE
          || col.type() == SqlType.DECIMAL) {
        // DOUBLE and DECIMAL keys would be exact-match lookups on inexact or scale-variant
        // values; PostgreSQL allows them, Ordo keeps keys to types whose equality is plain.
        if (col.type() == SqlType.JSONB) {
          throw new SqlException(
              SqlState.FEATURE_NOT_SUPPORTED,
              "column \"" + k + "\" of type jsonb cannot be part of a primary key", c.position());
        }
      }
    }
    // Primary key columns are NOT NULL.
    List<ColumnDef> withKeys = new ArrayList<>();
    for (ColumnDef col : columns) {
      withKeys.add(key.contains(col.name()) && !col.notNull()
          ? new ColumnDef(col.name(), col.id(), col.type(), col.precision(), col.scale(), true,
              col.defaultSql())
          : col);
    }
    TableDef def = new TableDef(c.name(), newTableId(), withKeys, key, 1);
    String tableKey = Encodings.tableKey(c.name());
    String streamKey = Encodings.streamKey(c.name());
    List<Operation> ops = List.of(
        assertOp(tableKey, Optional.empty()),
        assertOp(streamKey, Optional.empty()),
        put(tableKey, Encodings.encodeTable(def)));
    TxnResult r = submit(ops);
    if (r.getOutcome() == Outcome.COMMITTED) {
      return StatementResult.command("CREATE TABLE");
    }
    if (r.getAbortReason() == AbortReason.ASSERT_FAILED) {
      if (c.ifNotExists()) {
        return StatementResult.command("CREATE TABLE");
      }
      throw new SqlException(
          SqlState.DUPLICATE_TABLE, "relation \"" + c.name() + "\" already exists", c.position());
    }
    throw aborted(r);
  }

  private StatementResult dropTable(Plan.DropTable d) throws SqlException, InterruptedException {
    for (int attempt = 0; attempt <= engine.config().retriesMax(); attempt++) {
      Catalog catalog = freshCatalog();
      if (catalog.table(d.name()).isEmpty()) {
        if (d.ifExists()) {
          return StatementResult.command("DROP TABLE");
        }
        if (catalog.stream(d.name()).isPresent()) {
          throw new SqlException(
              SqlState.DATATYPE_MISMATCH, "\"" + d.name() + "\" is a stream: use DROP STREAM",
              d.position());
        }
        throw new SqlException(
            SqlState.UNDEFINED_TABLE, "table \"" + d.name() + "\" does not exist", d.position());
      }
      Views.checkDropTable(catalog, d.name(), d.position());
      String tableKey = Encodings.tableKey(d.name());
      TxnResult r = submit(List.of(
          assertOp(tableKey, Optional.of(catalog.tableValue(d.name()))),
          Operation.newBuilder().setKey(tableKey).setDelete(Delete.getDefaultInstance()).build()));
      if (r.getOutcome() == Outcome.COMMITTED) {
        return StatementResult.command("DROP TABLE");
      }
      if (r.getAbortReason() != AbortReason.ASSERT_FAILED) {
        throw aborted(r);
      }
    }
    throw conflict(d.name());
  }

  private StatementResult addColumn(Plan.AddColumn a) throws SqlException, InterruptedException {
    for (int attempt = 0; attempt <= engine.config().retriesMax(); attempt++) {
      Catalog catalog = freshCatalog();
      TableDef def = catalog.requireTable(a.table(), a.position());
      if (def.column(a.column().name()).isPresent()) {
        if (a.ifNotExists()) {
          return StatementResult.command("ALTER TABLE");
        }
        throw new SqlException(
            SqlState.DUPLICATE_COLUMN,
            "column \"" + a.column().name() + "\" of relation \"" + def.name()
                + "\" already exists", a.position());
      }
      if (a.column().primaryKey()) {
        throw new SqlException(
            SqlState.FEATURE_NOT_SUPPORTED, "ADD COLUMN cannot add a primary key column",
            a.position());
      }
      if (a.column().notNull() && a.column().defaultExpr().isEmpty()) {
        throw new SqlException(
            SqlState.FEATURE_NOT_SUPPORTED,
            "ADD COLUMN ... NOT NULL needs a DEFAULT (existing rows take it)", a.position());
      }
      int nextId = def.columns().stream().mapToInt(ColumnDef::id).max().orElse(0) + 1;
      ColumnDef added = column(a.column(), nextId);
      List<ColumnDef> cols = new ArrayList<>(def.columns());
      cols.add(added);
      TableDef next = new TableDef(def.name(), def.tableId(), cols, def.primaryKey(),
          def.version() + 1);
      String tableKey = Encodings.tableKey(def.name());
      TxnResult r = submit(List.of(
          assertOp(tableKey, Optional.of(catalog.tableValue(def.name()))),
          put(tableKey, Encodings.encodeTable(next))));
      if (r.getOutcome() == Outcome.COMMITTED) {
        return StatementResult.command("ALTER TABLE");
      }
      if (r.getAbortReason() != AbortReason.ASSERT_FAILED) {
        throw aborted(r);
      }
    }
    throw conflict(a.table());
  }

  private StatementResult createStream(Plan.CreateStream c)
      throws SqlException, InterruptedException {
    List<ColumnDef> columns = columns(c.columns(), c.position());
    Optional<String> keyColumn = keyColumn(c.options(), columns, c.position());
    int shards = intOption(c.options(), "shards", 1, c.position());
    long retention = retentionSeconds(c.options(), c.position());
    Catalog catalog = freshCatalog();
    if (catalog.table(c.name()).isPresent()) {
      throw new SqlException(
          SqlState.DUPLICATE_TABLE, "relation \"" + c.name() + "\" already exists", c.position());
    }
    boolean exists = engine.backend().listStreams().getStreamsList().stream()
        .map(Stream::getName).anyMatch(c.name()::equals);
    if (exists) {
      if (c.ifNotExists()) {
        return StatementResult.command("CREATE STREAM");
      }
      throw new SqlException(
          SqlState.DUPLICATE_TABLE,
          "stream \"" + c.name() + "\" already exists (give it a schema with ALTER STREAM "
              + c.name() + " SET SCHEMA (...))", c.position());
    }
    try {
      engine.backend().createStream(CreateStreamRequest.newBuilder()
          .setName(c.name()).setShardCount(shards).setRetentionSeconds(retention).build());
    } catch (RuntimeException e) {
      throw new SqlException(
          SqlState.INVALID_PARAMETER_VALUE, "cannot create stream \"" + c.name() + "\": "
              + e.getMessage(), c.position());
    }
    putStreamDef(new StreamDef(c.name(), columns, keyColumn), c.position());
    return StatementResult.command("CREATE STREAM");
  }

  private StatementResult alterStreamSchema(Plan.AlterStreamSchema a)
      throws SqlException, InterruptedException {
    boolean exists = engine.backend().listStreams().getStreamsList().stream()
        .map(Stream::getName).anyMatch(a.name()::equals);
    if (!exists) {
      throw new SqlException(
          SqlState.UNDEFINED_TABLE, "stream \"" + a.name() + "\" does not exist", a.position());
    }
    List<ColumnDef> columns = columns(a.columns(), a.position());
    putStreamDef(new StreamDef(a.name(), columns, keyColumn(a.options(), columns, a.position())),
        a.position());
    return StatementResult.command("ALTER STREAM");
  }

  private void putStreamDef(StreamDef def, int position) throws SqlException, InterruptedException {
    String streamKey = Encodings.streamKey(def.name());
    TxnResult r = submit(List.of(
        assertOp(Encodings.tableKey(def.name()), Optional.empty()),
        put(streamKey, Encodings.encodeStream(def))));
    if (r.getOutcome() != Outcome.COMMITTED) {
      if (r.getAbortReason() == AbortReason.ASSERT_FAILED) {
        throw new SqlException(
            SqlState.DUPLICATE_TABLE, "relation \"" + def.name() + "\" already exists", position);
      }
      throw aborted(r);
    }
  }

  private StatementResult dropStream(Plan.DropStream d) throws SqlException, InterruptedException {
    boolean exists = engine.backend().listStreams().getStreamsList().stream()
        .map(Stream::getName).anyMatch(d.name()::equals);
    Catalog catalog = freshCatalog();
    if (!exists && catalog.stream(d.name()).isEmpty()) {
      if (d.ifExists()) {
        return StatementResult.command("DROP STREAM");
      }
      throw new SqlException(
          SqlState.UNDEFINED_TABLE, "stream \"" + d.name() + "\" does not exist", d.position());
    }
    Views.checkDropSource(catalog, d.name(), "stream", d.position());
    String streamKey = Encodings.streamKey(d.name());
    TxnResult r = submit(List.of(
        Operation.newBuilder().setKey(streamKey).setDelete(Delete.getDefaultInstance()).build()));
    if (r.getOutcome() != Outcome.COMMITTED) {
      throw aborted(r);
    }
    if (exists) {
      try {
        engine.backend().deleteStream(
            DeleteStreamRequest.newBuilder().setName(d.name()).setIgnoreMissing(true).build());
      } catch (RuntimeException e) {
        throw new SqlException(
            SqlState.UNAVAILABLE, "the schema of stream \"" + d.name() + "\" was dropped but the"
                + " stream could not be deleted: " + e.getMessage(), d.position());
      }
    }
    return StatementResult.command("DROP STREAM");
  }

  // ---------------------------------------------------------------------------------------
  // Source connectors: the catalog entry is sequenced metadata like a table's; the gateway that
  // holds a connector's lease runs it (SqlBackend's connector methods).

  private StatementResult createConnector(Plan.CreateConnector c)
      throws SqlException, InterruptedException {
    String kind = c.sourceKind().toLowerCase(Locale.ROOT);
    String tag = c.sink() ? "CREATE SINK CONNECTOR" : "CREATE SOURCE CONNECTOR";
    if (!ConnectorDef.KINDS.contains(kind)) {
      throw new SqlException(
          SqlState.FEATURE_NOT_SUPPORTED,
          "unknown " + (c.sink() ? "sink" : "source") + " connector type \"" + c.sourceKind()
              + "\"; supported: " + String.join(", ", ConnectorDef.KINDS), c.position());
    }
    if (c.sink() && kind.equals(ConnectorDef.KAFKA) && c.view()) {
      throw new SqlException(
          SqlState.FEATURE_NOT_SUPPORTED,
          "a Kafka sink reads FROM TABLE or FROM STREAM; FROM VIEW into Kafka is not supported"
              + " yet", c.position());
    }
    String connectorKey = ConnectorCodec.connectorKey(c.name());
    Map<String, String> options = new java.util.TreeMap<>();
    for (Map.Entry<String, String> e : c.options().entrySet()) {
      options.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue());
    }
    ConnectorDef def = new ConnectorDef(
        c.name(), kind, new java.util.TreeMap<>(options),
        c.view() ? ConnectorDef.TargetKind.VIEW
            : c.intoTable() ? ConnectorDef.TargetKind.TABLE : ConnectorDef.TargetKind.STREAM,
        c.target(), false, newTableId(), c.sink());
    Position snapshot = session.fresh().position();
    if (Catalog.connectors(engine.backend().store(), snapshot).containsKey(c.name())) {
      if (c.ifNotExists()) {
        return StatementResult.command(tag);
      }
      throw new SqlException(
          SqlState.DUPLICATE_OBJECT, "connector \"" + c.name() + "\" already exists",
          c.position());
    }
    List<Operation> tableOps = List.of();
    if (c.sink()) {
      tableOps = sinkSourceOps(c);
    }
    boolean streamExists = engine.backend().listStreams().getStreamsList().stream()
        .map(Stream::getName).anyMatch(c.target()::equals);
    if (!c.sink() && !c.intoTable() && !streamExists) {
      throw new SqlException(
          SqlState.UNDEFINED_TABLE,
          "stream \"" + c.target() + "\" does not exist (CREATE STREAM " + c.target()
              + " first)", c.position());
    }
    if (!c.sink() && c.intoTable() && streamExists) {
      throw new SqlException(
          SqlState.DUPLICATE_TABLE,
          "\"" + c.target() + "\" is a stream; INTO TABLE needs a table name (or use INTO STREAM)",
          c.position());
    }
    try {
      engine.backend().checkConnector(def);
      if (!c.sink() && c.intoTable()) {
        tableOps = targetTableOps(def, engine.backend().connectorTable(def, newTableId()),
            c.position());
      }
    } catch (IllegalArgumentException e) {
      throw new SqlException(SqlState.INVALID_PARAMETER_VALUE, e.getMessage(), c.position());
    } catch (IllegalStateException e) {
      throw new SqlException(SqlState.UNABLE_TO_CONNECT, e.getMessage(), c.position());
    } catch (UnsupportedOperationException e) {
      throw new SqlException(SqlState.FEATURE_NOT_SUPPORTED, e.getMessage(), c.position());
    }
    // The table (when CREATE makes it) and the connector enter the catalog together: a refused
    // or failed CREATE leaves neither.
    List<Operation> ops = new ArrayList<>(tableOps);
    ops.add(assertOp(connectorKey, Optional.empty()));
    ops.add(put(connectorKey, ConnectorCodec.encode(def)));
    TxnResult r = submit(ops);
    if (r.getOutcome() != Outcome.COMMITTED) {
      if (r.getAbortReason() == AbortReason.ASSERT_FAILED) {
        if (!Catalog.connectors(engine.backend().store(), session.fresh().position())
            .containsKey(c.name())) {
          throw conflict(c.target()); // the target table changed meanwhile
        }
        if (c.ifNotExists()) {
          return StatementResult.command(tag);
        }
        throw new SqlException(
            SqlState.DUPLICATE_OBJECT, "connector \"" + c.name() + "\" already exists",
            c.position());
      }
      throw aborted(r);
    }
    engine.backend().connectorsChanged();
    return StatementResult.command(tag);
  }

  /**
   * A sink's source, checked, as the operation asserting its definition with the connector's
   * entry (a sink is never created on a source dropped or altered meanwhile): FROM TABLE a table
   * (a materialized view's table too: its rows are a table's), FROM VIEW a materialized view (a
   * plain table is 42809), FROM STREAM a stream with a SQL schema (0A000 without one: a sink
   * writes the stream's columns). An unknown name is 42P01.
   */
  private List<Operation> sinkSourceOps(Plan.CreateConnector c)
      throws SqlException, InterruptedException {
    Catalog catalog = freshCatalog();
    String name = c.target();
    if (!c.intoTable()) {
      Optional<io.ordo.sql.catalog.StreamDef> stream = catalog.stream(name);
      if (stream.isEmpty()) {
        boolean exists = engine.backend().listStreams().getStreamsList().stream()
            .map(Stream::getName).anyMatch(name::equals);
        throw new SqlException(
            exists ? SqlState.FEATURE_NOT_SUPPORTED : SqlState.UNDEFINED_TABLE,
            exists ? "stream \"" + name + "\" has no SQL schema, and a sink writes a stream's"
                + " columns (give it one: ALTER STREAM " + name + " SET SCHEMA (...))"
                : "stream \"" + name + "\" does not exist"
                    + (catalog.table(name).isPresent() ? " (it is a table: FROM TABLE)" : ""),
            c.position());
      }
      if (stream.get().columns().isEmpty()) {
        throw new SqlException(
            SqlState.FEATURE_NOT_SUPPORTED, "stream \"" + name + "\" has no columns, and a sink"
                + " writes a stream's columns (ALTER STREAM " + name + " SET SCHEMA (...))",
            c.position());
      }
      for (io.ordo.sql.catalog.ColumnDef col : stream.get().columns()) {
        if (StreamTable.META_COLUMNS.contains(col.name())) {
          throw new SqlException(
              SqlState.DUPLICATE_COLUMN, "stream \"" + name + "\" has a column \"" + col.name()
                  + "\", a name the sink's target uses for the record's id", c.position());
        }
      }
      return List.of(assertOp(Encodings.streamKey(name),
          Optional.of(Encodings.encodeStream(stream.get()))));
    }
    if (catalog.table(name).isEmpty()) {
      throw new SqlException(
          SqlState.UNDEFINED_TABLE, (c.view() ? "materialized view \"" : "table \"") + name
              + "\" does not exist" + (catalog.stream(name).isPresent()
                  ? " (it is a stream: FROM STREAM)" : ""),
          c.position());
    }
    if (c.view() && !catalog.isView(name)) {
      throw new SqlException(
          SqlState.WRONG_OBJECT_TYPE, "\"" + name + "\" is a table, not a materialized view"
              + " (use FROM TABLE)", c.position());
    }
    return List.of(assertOp(Encodings.tableKey(name), Optional.of(catalog.tableValue(name))));
  }

  /**
   * The catalog operations for an INTO TABLE connector's target: create the table {@code
   * mirror} describes, or, when a table of that name exists, assert it unchanged after checking
   * that it has the source's shape (column names, types and the primary key; 42804 naming the
   * first difference otherwise).
   */
  private List<Operation> targetTableOps(ConnectorDef def, TableDef mirror, int position)
      throws SqlException, InterruptedException {
    Catalog catalog = freshCatalog();
    String tableKey = Encodings.tableKey(mirror.name());
    Optional<TableDef> existing = catalog.table(mirror.name());
    if (existing.isEmpty()) {
      return List.of(
          assertOp(tableKey, Optional.empty()),
          assertOp(Encodings.streamKey(mirror.name()), Optional.empty()),
          put(tableKey, Encodings.encodeTable(mirror)));
    }
    Optional<String> difference = shapeDifference(existing.get(), mirror);
    if (difference.isPresent()) {
      throw new SqlException(
          SqlState.DATATYPE_MISMATCH,
          "table \"" + mirror.name() + "\" exists and does not match the source "
              + def.option("table", "") + ": " + difference.get()
              + " (drop it, or name a new table: CREATE makes it from the source)", position);
    }
    return List.of(assertOp(tableKey, Optional.of(catalog.tableValue(mirror.name()))));
  }

  /**
   * How {@code existing} differs from the table a source describes (names, types, lengths,
   * precisions and the primary key; NOT NULL and defaults aside), or empty when it does not.
   */
  static Optional<String> shapeDifference(TableDef existing, TableDef source) {
    if (!existing.primaryKey().equals(source.primaryKey())) {
      return Optional.of("its primary key is " + existing.primaryKey() + ", the source's "
          + source.primaryKey());
    }
    List<String> have = existing.columns().stream().map(ColumnDef::name).toList();
    List<String> want = source.columns().stream().map(ColumnDef::name).toList();
    if (!new java.util.TreeSet<>(have).equals(new java.util.TreeSet<>(want))) {
      return Optional.of("its columns are " + have + ", the source's " + want);
    }
    for (ColumnDef s : source.columns()) {
      ColumnDef e = existing.column(s.name()).orElseThrow();
      if (e.type() != s.type() || e.precision() != s.precision() || e.scale() != s.scale()) {
        return Optional.of("column \"" + s.name() + "\" is " + Introspection.typeText(e)
            + ", at the source " + Introspection.typeText(s));
      }
    }
    return Optional.empty();
  }

  private StatementResult dropConnector(Plan.DropConnector d)
      throws SqlException, InterruptedException {
    for (int attempt = 0; attempt <= engine.config().retriesMax(); attempt++) {
      Map.Entry<ConnectorDef, Value> current =
          Catalog.connectors(engine.backend().store(), session.fresh().position()).get(d.name());
      if (current == null) {
        if (d.ifExists()) {
          return StatementResult.command("DROP CONNECTOR");
        }
        throw new SqlException(
            SqlState.UNDEFINED_OBJECT, "connector \"" + d.name() + "\" does not exist",
            d.position());
      }
      ConnectorDef def = current.getKey();
      String connectorKey = ConnectorCodec.connectorKey(d.name());
      TxnResult r = submit(List.of(
          assertOp(connectorKey, Optional.of(current.getValue())),
          delete(connectorKey),
          delete(ConnectorCodec.offsetKey(def.connectorId())),
          delete(ConnectorCodec.historyKey(def.connectorId())),
          delete(ConnectorCodec.leaseKey(def.connectorId()))));
      if (r.getOutcome() == Outcome.COMMITTED) {
        engine.backend().connectorsChanged();
        engine.backend().connectorDropped(def);
        return StatementResult.command("DROP CONNECTOR");
      }
      if (r.getAbortReason() != AbortReason.ASSERT_FAILED) {
        throw aborted(r);
      }
    }
    throw conflict(d.name());
  }

  private StatementResult pauseConnector(Plan.PauseConnector p)
      throws SqlException, InterruptedException {
    String tag = p.pause() ? "PAUSE CONNECTOR" : "RESUME CONNECTOR";
    for (int attempt = 0; attempt <= engine.config().retriesMax(); attempt++) {
      Map.Entry<ConnectorDef, Value> current =
          Catalog.connectors(engine.backend().store(), session.fresh().position()).get(p.name());
      if (current == null) {
        throw new SqlException(
            SqlState.UNDEFINED_OBJECT, "connector \"" + p.name() + "\" does not exist",
            p.position());
      }
      if (current.getKey().paused() == p.pause()) {
        return StatementResult.command(tag);
      }
      String connectorKey = ConnectorCodec.connectorKey(p.name());
      TxnResult r = submit(List.of(
          assertOp(connectorKey, Optional.of(current.getValue())),
          put(connectorKey, ConnectorCodec.encode(current.getKey().withPaused(p.pause())))));
      if (r.getOutcome() == Outcome.COMMITTED) {
        engine.backend().connectorsChanged();
        return StatementResult.command(tag);
      }
      if (r.getAbortReason() != AbortReason.ASSERT_FAILED) {
        throw aborted(r);
      }
    }
    throw conflict(p.name());
  }

  static Operation delete(String key) {
    return Operation.newBuilder().setKey(key).setDelete(Delete.getDefaultInstance()).build();
  }

  // ---------------------------------------------------------------------------------------

  private List<ColumnDef> columns(List<Plan.ColumnSpec> specs, int position)
      throws SqlException {
    List<ColumnDef> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    int id = 1;
    for (Plan.ColumnSpec s : specs) {
      if (!names.add(s.name())) {
        throw new SqlException(
            SqlState.DUPLICATE_COLUMN, "column \"" + s.name() + "\" specified more than once",
            s.position() > 0 ? s.position() : position);
      }
      if (s.name().startsWith("_")) {
        throw new SqlException(
            SqlState.INVALID_TABLE_DEFINITION,
            "column names starting with '_' are reserved for Ordo (\"" + s.name() + "\")",
            s.position() > 0 ? s.position() : position);
      }
      out.add(column(s, id++));
    }
    if (out.isEmpty()) {
      throw new SqlException(
          SqlState.INVALID_TABLE_DEFINITION, "a table or stream needs at least one column",
          position);
    }
    return out;
  }

  /** A column definition; its DEFAULT is checked by evaluating it once. */
  private ColumnDef column(Plan.ColumnSpec s, int id) throws SqlException {
    Optional<String> defaultSql = s.defaultExpr().map(Unparse::sql);
    ColumnDef c = new ColumnDef(s.name(), id, s.type(), s.precision(), s.scale(), s.notNull(),
        defaultSql);
    if (defaultSql.isPresent()) {
      if (!Unparse.parameters(s.defaultExpr().get()).isEmpty()) {
        throw new SqlException(
            SqlState.FEATURE_NOT_SUPPORTED, "a DEFAULT cannot use parameters", s.position());
      }
      Object v = session.evaluate(c, defaultSql.get());
      if (v == null && s.notNull()) {
        throw new SqlException(
            SqlState.NOT_NULL_VIOLATION,
            "the DEFAULT of NOT NULL column \"" + s.name() + "\" is NULL", s.position());
      }
    }
    return c;
  }

  private static Optional<String> keyColumn(
      Map<String, String> options, List<ColumnDef> columns, int position) throws SqlException {
    String key = options.get("key");
    if (key == null) {
      return Optional.empty();
    }
    if (columns.stream().noneMatch(c -> c.name().equals(key))) {
      throw new SqlException(
          SqlState.UNDEFINED_COLUMN, "key column \"" + key + "\" does not exist", position);
    }
    return Optional.of(key);
  }

  private static int intOption(Map<String, String> options, String name, int dflt, int position)
      throws SqlException {
    String v = options.get(name);
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new SqlException(
        SqlState.INVALID_PARAMETER_VALUE, name + " must be a positive integer, got '" + v + "'",
        position);
  }

  /** {@code retention = '7d'} ({@code s m h d w}, or plain seconds); 0 = the stream default. */
  static long retentionSeconds(Map<String, String> options, int position) throws SqlException {
    String v = options.get("retention");
    if (v == null) {
      return 0;
    }
    Matcher m = DURATION.matcher(v.trim().toLowerCase(Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      long unit = switch (m.group(2)) {
        case "m" -> 60;
        case "h" -> 3600;
        case "d" -> 86_400;
        case "w" -> 7 * 86_400;
        default -> 1;
      };
      if (n > 0 && n <= Long.MAX_VALUE / unit) {
        return n * unit;
      }
    }
    throw new SqlException(
        SqlState.INVALID_PARAMETER_VALUE,
        "retention must be a positive duration like '7d', '12h' or '3600s', got '" + v + "'",
        position);
  }

  static String newTableId() {
    byte[] b = new byte[8];
    IDS.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  TxnResult submit(List<Operation> ops) throws SqlException, InterruptedException {
    Transaction txn = Transaction.newBuilder().setId("sql-ddl-" + UUID.randomUUID())
        .addAllOps(ops).build();
    TxnResult r = session.submit(new TxnBuffer.Commit(txn, List.of(), List.of()));
    if (r.getOutcome() == Outcome.COMMITTED) {
      session.committedAt(r.getPosition());
    }
    return r;
  }

  static Operation assertOp(String key, Optional<Value> expected) {
    Assert.Builder a = Assert.newBuilder();
    if (expected.isPresent()) {
      a.setEquals(expected.get());
    } else {
      a.setAbsent(true);
    }
    return Operation.newBuilder().setKey(key).setAssert(a).build();
  }

  static Operation put(String key, Value v) {
    return Operation.newBuilder().setKey(key).setPut(Put.newBuilder().setValue(v)).build();
  }

  static SqlException aborted(TxnResult r) {
    return new SqlException(
        SqlState.INTERNAL_ERROR, "the catalog change aborted: " + r.getAbortReason() + " "
            + r.getDetail());
  }

  static SqlException conflict(String name) {
    return new SqlException(
        SqlState.SERIALIZATION_FAILURE,
        "\"" + name + "\" kept changing concurrently; try again");
  }
}
