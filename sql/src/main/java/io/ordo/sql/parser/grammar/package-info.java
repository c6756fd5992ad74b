/**
 * What the generated parser ({@code io.ordo.sql.parser.impl.OrdoSqlParserImpl}) calls back into:
 * the {@code ::} cast operator and the grammar's own syntax errors. Kept apart from {@code
 * io.ordo.sql.parser}, whose front door uses the generated parser, so the packages form no cycle.
 */
package io.ordo.sql.parser.grammar;
