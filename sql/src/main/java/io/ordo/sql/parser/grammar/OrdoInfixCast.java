package io.ordo.sql.parser.grammar;

import org.apache.calcite.sql.SqlBinaryOperator;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlLiteral;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.sql.parser.SqlParserPos;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * PostgreSQL's {@code expr::type} cast as the parser sees it: a binary operator binding tighter
 * than every arithmetic and unary operator (as in PostgreSQL, where {@code -x::int} is
 * {@code -(x::int)}), whose calls are built as standard {@code CAST(expr AS type)} calls. So no
 * node of this operator ever reaches a statement tree, and the unparsed text is plain SQL that
 * Calcite's default parser accepts.
 *
 * <p>Public only because the generated parser calls it.
 */
public final class OrdoInfixCast extends SqlBinaryOperator {
  /** Left precedence 94: above * and / (60) and unary minus (80), below member access (100). */
  public static final OrdoInfixCast INSTANCE = new OrdoInfixCast();

  private OrdoInfixCast() {
    super("::", SqlKind.CAST, 94, true, null, null, null);
  }

  @Override
  public SqlCall createCall(@Nullable SqlLiteral functionQualifier, SqlParserPos pos,
      @Nullable SqlNode... operands) {
    return SqlStdOperatorTable.CAST.createCall(pos, operands);
  }
}
