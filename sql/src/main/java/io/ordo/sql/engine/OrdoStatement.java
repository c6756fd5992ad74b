package io.ordo.sql.engine;

import io.ordo.sql.Column;
import io.ordo.sql.PushSink;
import io.ordo.sql.SqlException;
import io.ordo.sql.SqlState;
import io.ordo.sql.SqlStatement;
import io.ordo.sql.SqlType;
import io.ordo.sql.StatementResult;
import io.ordo.sql.catalog.ColumnDef;
import io.ordo.sql.catalog.StreamDef;
import io.ordo.sql.catalog.TableDef;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A prepared statement of an {@link OrdoSession}. Its parameter types and result columns are
 * worked out on first request by planning it against the newest catalog the store holds (the
 * extended protocol's Describe comes before Execute); execution plans it again against its own
 * snapshot's catalog.
 */
final class OrdoStatement implements SqlStatement {
  private final OrdoSession session;
  private final ParsedText parsed;
  private final List<SqlType> declared;
  private List<SqlType> parameterTypes;
  private Optional<List<Column>> columns;

  OrdoStatement(OrdoSession session, ParsedText parsed, List<SqlType> declared) {
    this.session = session;
    this.parsed = parsed;
    this.declared = List.copyOf(declared);
  }

  @Override
  public String sql() {
    return parsed.text();
  }

  @Override
  public io.ordo.sql.SqlAccess access() {
    return OrdoSession.accessOf(parsed.plan());
  }

  @Override
  public List<SqlType> parameterTypes() {
    describe();
    return parameterTypes;
  }

  @Override
  public int parameterCount() {
    return parsed.parameterCount();
  }

  @Override
  public Optional<List<Column>> resultColumns() {
    describe();
    return columns;
  }

  @Override
  public StatementResult execute(List<Object> params) throws SqlException {
    return session.execute(parsed, params, declared);
  }

  @Override
  public boolean isPush() {
    return parsed.plan() instanceof Plan.Push;
  }

  @Override
  public void push(List<Object> params, PushSink sink) throws SqlException {
    session.push(parsed, params, declared, sink);
  }

  private void describe() {
    if (parameterTypes != null) {
      return;
    }
    List<SqlType> types = new ArrayList<>();
    for (int i = 0; i < parsed.parameterCount(); i++) {
      types.add(i < declared.size() ? declared.get(i) : SqlType.UNKNOWN);
    }
    Optional<List<Column>> cols = Introspection.columns(parsed.plan());
    if (!(parsed.plan() instanceof Plan.Query) && !types.contains(SqlType.UNKNOWN)) {
      // Planning would tell nothing more: only queries have result columns, and every parameter
      // type is known (or there is none, as in INSERT ... VALUES with literals). Planning costs
      // milliseconds (Calcite plans and compiles code), more than the statement's own commit.
      parameterTypes = List.copyOf(types);
      columns = cols;
      return;
    }
    // First the catalog the store holds now (Describe needs only the catalog, and a sync per
    // Describe would double the log round trips of every prepared statement); when the statement
    // does not plan there, a fresh snapshot's: the store may not hold yet a table just created,
    // and a query described without its columns would answer NoData.
    for (int attempt = 0; attempt < 2; attempt++) {
      List<SqlType> attemptTypes = new ArrayList<>(types);
      try {
        io.ordo.proto.Position at = attempt == 0
            ? Positions.endOf(Long.MAX_VALUE)
            : session.fresh().position();
        Catalog catalog = Catalog.read(session.engine().backend().store(), at);
        Optional<List<Column>> described = describeAt(catalog, attemptTypes);
        types = attemptTypes;
        if (described.isPresent()) {
          cols = described;
        }
        break;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (SqlException | RuntimeException e) {
        // Describe is best effort: the same error comes back, with its SQLSTATE, from execute.
      }
    }
    parameterTypes = List.copyOf(types);
    columns = cols;
  }

  /**
   * Plans the statement over {@code catalog}: fills the parameter types still unknown in
   * {@code types}; returns the result columns of a query, empty for other statements.
   */
  private Optional<List<Column>> describeAt(Catalog catalog, List<SqlType> types)
      throws SqlException {
    List<Dml.Composed> composed;
    try (Unparse.Scope scope =
        Unparse.withParameterTypes(OrdoSession.parameterTypes(parsed, null, declared))) {
      composed = composed(catalog);
    }
    if (composed == null) {
      Plan plan = parsed.plan();
      if (plan instanceof Plan.Insert || plan instanceof Plan.Update || plan instanceof Plan.Delete) {
        throw new SqlException(SqlState.UNDEFINED_TABLE, "the statement's table is not in this catalog");
      }
      return Optional.empty();
    }
    QueryRunner.Prepared p = null;
    for (Dml.Composed c : composed) {
      p = session.describe(c, catalog);
      for (int k = 0; k < c.parameters().size() && k < p.parameterTypes.size(); k++) {
        if (c.parameters().get(k) < 0) {
          continue;
        }
        int n = parsed.parameterOf(c.parameters().get(k));
        if (n >= 1 && n <= types.size() && types.get(n - 1) == SqlType.UNKNOWN) {
          types.set(n - 1, p.parameterTypes.get(k));
        }
      }
    }
    return parsed.plan() instanceof Plan.Query ? Optional.of(p.columns) : Optional.empty();
  }

  /**
   * The queries a statement runs (one, or one per VALUES row of an INSERT), planned for its
   * parameter types; null for other statements.
   */
  private List<Dml.Composed> composed(Catalog catalog) throws SqlException {
    Plan plan = parsed.plan();
    if (plan instanceof Plan.Query q) {
      return List.of(new Dml.Composed(Unparse.sql(q.query()), Unparse.parameters(q.query())));
    }
    if (plan instanceof Plan.Insert ins) {
      Optional<TableDef> table = catalog.table(ins.target());
      Optional<StreamDef> stream = catalog.stream(ins.target());
      TableDef def =
          table.isPresent() ? table.get()
              : stream.isPresent() ? OrdoSession.streamShape(stream.get()) : null;
      if (def == null) {
        return null;
      }
      List<ColumnDef> targets = Dml.targetColumns(def, ins);
      return Dml.insertSource(targets, ins.source(), catalog);
    }
    if (plan instanceof Plan.Update up) {
      Optional<TableDef> def = catalog.table(up.table());
      return def.isEmpty() ? null
          : List.of(Dml.selectTargets(def.get(), up.alias(), up.set(), up.where()));
    }
    if (plan instanceof Plan.Delete del) {
      Optional<TableDef> def = catalog.table(del.table());
      return def.isEmpty() ? null
          : List.of(Dml.selectTargets(def.get(), del.alias(), List.of(), del.where()));
    }
    return null;
  }
}
