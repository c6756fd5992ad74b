-- pgjdbc 42.7.14, logged at loggerLevel=TRACE for Connection.getCatalog() (sent before getColumns, getPrimaryKeys, getIndexInfo)
select current_catalog