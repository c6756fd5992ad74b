package io.ordo.sql;

/**
 * The SQLSTATE codes Ordo reports (PostgreSQL's, Appendix A of its manual), so clients that
 * branch on them (retry on 40001, for instance) work unchanged.
 */
public final class SqlState {
  private SqlState() {}

  public static final String SYNTAX_ERROR = "42601";
  /** name_too_long: an identifier over the parser's limit. */
  public static final String NAME_TOO_LONG = "42622";
  public static final String UNDEFINED_TABLE = "42P01";
  /** insufficient_privilege: the session's access does not cover the statement. */
  public static final String INSUFFICIENT_PRIVILEGE = "42501";
  /** invalid_authorization_specification (e.g. TLS required, unknown authentication). */
  public static final String INVALID_AUTHORIZATION_SPECIFICATION = "28000";
  /** invalid_password: password authentication failed. */
  public static final String INVALID_PASSWORD = "28P01";
  public static final String UNDEFINED_COLUMN = "42703";
  /** ambiguous_column: a column name that more than one relation of the FROM clause has. */
  public static final String AMBIGUOUS_COLUMN = "42702";
  /** duplicate_alias: one name for two relations of a FROM clause. */
  public static final String DUPLICATE_ALIAS = "42712";
  public static final String DUPLICATE_TABLE = "42P07";
  public static final String DUPLICATE_COLUMN = "42701";
  public static final String DATATYPE_MISMATCH = "42804";
  public static final String UNDEFINED_FUNCTION = "42883";
  public static final String INVALID_TABLE_DEFINITION = "42P16";
  public static final String FEATURE_NOT_SUPPORTED = "0A000";
  public static final String WRONG_OBJECT_TYPE = "42809";
  public static final String GROUPING_ERROR = "42803";
  public static final String DEPENDENT_OBJECTS_STILL_EXIST = "2BP01";
  public static final String UNIQUE_VIOLATION = "23505";
  public static final String NOT_NULL_VIOLATION = "23502";
  public static final String SERIALIZATION_FAILURE = "40001";
  public static final String INVALID_TEXT_REPRESENTATION = "22P02";
  public static final String NUMERIC_VALUE_OUT_OF_RANGE = "22003";
  /** character_not_in_repertoire: a character the target character set cannot hold. */
  public static final String CHARACTER_NOT_IN_REPERTOIRE = "22021";
  public static final String STRING_DATA_RIGHT_TRUNCATION = "22001";
  public static final String DIVISION_BY_ZERO = "22012";
  public static final String DATA_EXCEPTION = "22000";
  public static final String INVALID_PARAMETER_VALUE = "22023";
  public static final String ACTIVE_SQL_TRANSACTION = "25001";
  public static final String NO_ACTIVE_SQL_TRANSACTION = "25P01";
  /** Commands ignored until the end of a failed transaction block. */
  public static final String IN_FAILED_SQL_TRANSACTION = "25P02";
  public static final String PROGRAM_LIMIT_EXCEEDED = "54000";
  /** The object is not in a state the statement needs (e.g. a view whose source was dropped). */
  public static final String OBJECT_NOT_IN_PREREQUISITE_STATE = "55000";
  /** Too many of something running at once (PostgreSQL: too many connections, 53300, is its kin). */
  public static final String CONFIGURATION_LIMIT_EXCEEDED = "53400";
  public static final String QUERY_CANCELED = "57014";
  /** AS OF a time older than the history retention. */
  public static final String SNAPSHOT_TOO_OLD = "72000";
  public static final String PROTOCOL_VIOLATION = "08P01";
  public static final String CONNECTION_FAILURE = "08006";
  public static final String INVALID_SQL_STATEMENT_NAME = "26000";
  public static final String INVALID_CURSOR_NAME = "34000";
  public static final String UNDEFINED_OBJECT = "42704";
  /** A connector (or other non-relation object) of that name exists. */
  public static final String DUPLICATE_OBJECT = "42710";
  /** A source connector cannot reach its source ({@code sqlclient_unable_to_establish_sqlconnection}). */
  public static final String UNABLE_TO_CONNECT = "08001";
  public static final String INTERNAL_ERROR = "XX000";
  /** The cluster could not answer in time or at all (e.g. no result before the deadline). */
  public static final String UNAVAILABLE = "57P03";
}
