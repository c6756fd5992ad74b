package io.ordo.jepsen.history;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import us.bpsm.edn.EdnException;
import us.bpsm.edn.Symbol;
import us.bpsm.edn.TaggedValue;
import us.bpsm.edn.parser.CollectionBuilder;
import us.bpsm.edn.parser.Parseable;
import us.bpsm.edn.parser.Parser;
import us.bpsm.edn.parser.Parsers;
import us.bpsm.edn.printer.Printers;

/**
 * Jepsen EDN histories: one op map per line, e.g. {@code {:index 0, :time 0, :process 0, :type
 * :invoke, :f :txn, :value [[:append 1 2] [:r 1 nil]]}} (the format of Jepsen's {@code
 * history.edn}). Reading also accepts a single top-level vector of op maps and op maps tagged as
 * records ({@code #jepsen.history.Op{...}}).
 *
 * <p>Reading rules: keys of an op map that are not {@code :index :time :process :type :f :value
 * :error} are ignored; a missing {@code :index} is the op's position in the file (0-based); a
 * missing {@code :time} is 0; a missing {@code :f} is {@code :txn} when the value is a list of
 * micro-ops (elle-cli's list-append files omit it); {@code :process :nemesis} is {@link
 * Op#NEMESIS}; old-style nemesis info/info pairs (Jepsen before 0.2 logged nemesis invocations as
 * info) read as invoke/info. EDN keywords become
 * {@link Keyword}s (a namespaced {@code :a/b} has name "a/b"), integers {@link Long}s, vectors and
 * lists {@link List}s, maps {@link Map}s in source order, sets {@link Set}s in source order,
 * characters and symbols {@link String}s. {@code :f} and {@code :type} are keywords.
 *
 * <p>Writing prints each op on its own line in that key order, {@code :error} only when non-null,
 * so {@code read(write(h))} equals {@code h} for histories whose values are in the domain above.
 */
public final class EdnHistory {
  private static final Parser.Config CONFIG = Parsers.newParserConfigBuilder()
      .setListFactory(EdnHistory::listBuilder)
      .setVectorFactory(EdnHistory::listBuilder)
      .setSetFactory(EdnHistory::setBuilder)
      .setMapFactory(EdnHistory::mapBuilder)
      .build();

  private EdnHistory() {}

  /**
   * Reads a history.
   *
   * @throws IOException on a read error or an EDN syntax error, naming the line
   * @throws IllegalArgumentException for well-formed EDN that is not a valid op or history, naming
   *     the line (or the op index)
   */
  public static History read(Reader in) throws IOException {
    StringBuilder text = new StringBuilder();
    char[] buf = new char[8192];
    for (int n; (n = in.read(buf)) >= 0; ) {
      text.append(buf, 0, n);
    }
    LineParseable src = new LineParseable(text);
    Parser parser = Parsers.newParser(CONFIG);
    List<Op> ops = new ArrayList<>();
    while (true) {
      src.skipWhitespace();
      int line = src.line;
      Object v;
      try {
        v = parser.nextValue(src);
      } catch (EdnException e) {
        throw new IOException("line " + src.line + ": EDN syntax error: " + e.getMessage(), e);
      }
      if (v == Parser.END_OF_INPUT) {
        break;
      }
      if (v instanceof List<?> list && ops.isEmpty() && !list.isEmpty() && unwrap(list.get(0)) instanceof Map) {
        // A whole history as one vector of op maps.
        for (Object o : list) {
          ops.add(toOp(o, ops.size(), "op " + ops.size() + " of the vector starting at line " + line));
        }
      } else {
        ops.add(toOp(v, ops.size(), "line " + line));
      }
    }
    return History.of(OpMaps.normalizeNemesis(ops));
  }

  /** Reads a history from a UTF-8 file; errors as {@link #read(Reader)}, prefixed by the file. */
  public static History read(Path file) throws IOException {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return read(r);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /** Writes {@code h}, one op map per line. Does not close {@code out}. */
  public static void write(History h, Writer out) throws IOException {
    Writer w = out instanceof BufferedWriter ? out : new BufferedWriter(out);
    for (Op op : h.ops()) {
      w.write(opToString(op));
      w.write('\n');
    }
    w.flush();
  }

  /** One op as an EDN map on one line (no newline). */
  public static String opToString(Op op) {
    StringBuilder sb = new StringBuilder(96);
    sb.append("{:index ").append(op.index())
        .append(", :time ").append(op.timeNanos())
        .append(", :process ").append(op.isNemesis() ? ":nemesis" : Long.toString(op.process()))
        .append(", :type :").append(op.type().keywordName())
        .append(", :f :").append(op.f())
        .append(", :value ");
    print(op.value(), sb);
    if (op.error() != null) {
      sb.append(", :error ");
      print(op.error(), sb);
    }
    return sb.append('}').toString();
  }

  /** Prints one history value as EDN. @throws IllegalArgumentException for a value outside the history domain */
  public static String valueToString(Object v) {
    StringBuilder sb = new StringBuilder();
    print(v, sb);
    return sb.toString();
  }

  private static void print(Object v, StringBuilder sb) {
    if (v == null) {
      sb.append("nil");
    } else if (v instanceof Keyword k) {
      sb.append(':').append(k.name());
    } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte || v instanceof Boolean) {
      // The common case, printed directly: a Printer per scalar made writing several times slower.
      sb.append(v);
    } else if (v instanceof BigInteger || v instanceof Double || v instanceof Float) {
      sb.append(Printers.printString(v));
    } else if (v instanceof CharSequence s) {
      sb.append(Printers.printString(s.toString()));
    } else if (v instanceof Map<?, ?> m) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!first) {
          sb.append(", ");
        }
        first = false;
        print(e.getKey(), sb);
        sb.append(' ');
        print(e.getValue(), sb);
      }
      sb.append('}');
    } else if (v instanceof Set<?> s) {
      printAll(s, "#{", "}", sb);
    } else if (v instanceof Collection<?> c) {
      printAll(c, "[", "]", sb);
    } else {
      throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as a history value: " + v);
    }
  }

  private static void printAll(Collection<?> c, String open, String close, StringBuilder sb) {
    sb.append(open);
    boolean first = true;
    for (Object o : c) {
      if (!first) {
        sb.append(' ');
      }
      first = false;
      print(o, sb);
    }
    sb.append(close);
  }

  private static Object unwrap(Object v) {
    return v instanceof TaggedValue t ? t.getValue() : v;
  }

  private static Op toOp(Object v, long position, String where) {
    Object m = unwrap(v);
    if (!(m instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException(where + ": expected an op map, got " + v);
    }
    Map<String, Object> fields = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (e.getKey() instanceof Keyword k) {
        fields.put(k.name(), e.getValue());
      }
    }
    return OpMaps.toOp(fields, position, where);
  }

  /** Converts a parsed EDN scalar to a history value (collections are built converted already). */
  private static Object convert(Object v) {
    if (v instanceof us.bpsm.edn.Keyword k) {
      return Keyword.of(k.getPrefix() == null || k.getPrefix().isEmpty() ? k.getName() : k.getPrefix() + "/" + k.getName());
    }
    if (v instanceof BigInteger b) {
      if (b.bitLength() < 64) {
        return b.longValue();
      }
      return b;
    }
    if (v instanceof Character c) {
      return c.toString();
    }
    if (v instanceof Symbol s) {
      return s.toString();
    }
    if (v instanceof TaggedValue t) {
      return t.getValue();
    }
    return v;
  }

  private static CollectionBuilder listBuilder() {
    List<Object> list = new ArrayList<>();
    return new CollectionBuilder() {
      @Override
      public void add(Object o) {
        list.add(convert(o));
      }

      @Override
      public Object build() {
        return Collections.unmodifiableList(list);
      }
    };
  }

  private static CollectionBuilder setBuilder() {
    Set<Object> set = new LinkedHashSet<>();
    return new CollectionBuilder() {
      @Override
      public void add(Object o) {
        set.add(convert(o));
      }

      @Override
      public Object build() {
        return Collections.unmodifiableSet(set);
      }
    };
  }

  private static CollectionBuilder mapBuilder() {
    Map<Object, Object> map = new LinkedHashMap<>();
    return new CollectionBuilder() {
      private Object key;
      private boolean haveKey;

      @Override
      public void add(Object o) {
        if (haveKey) {
          map.put(key, convert(o));
          haveKey = false;
        } else {
          key = convert(o);
          haveKey = true;
        }
      }

      @Override
      public Object build() {
        if (haveKey) {
          throw new EdnException("map literal has an odd number of forms");
        }
        return Collections.unmodifiableMap(map);
      }
    };
  }

  /** A {@link Parseable} over text that tracks the current line (1-based) for error messages. */
  private static final class LineParseable implements Parseable {
    private final CharSequence text;
    private int pos;
    int line = 1;

    LineParseable(CharSequence text) {
      this.text = text;
    }

    void skipWhitespace() {
      while (pos < text.length()) {
        char c = text.charAt(pos);
        if (c == ';') {
          // A comment runs to the end of its line.
          while (pos < text.length() && text.charAt(pos) != '\n') {
            pos++;
          }
        } else if (Character.isWhitespace(c) || c == ',') {
          if (c == '\n') {
            line++;
          }
          pos++;
        } else {
          return;
        }
      }
    }

    @Override
    public int read() {
      if (pos >= text.length()) {
        pos++; // so that unread(END_OF_INPUT) restores the position symmetrically
        return END_OF_INPUT;
      }
      char c = text.charAt(pos++);
      if (c == '\n') {
        line++;
      }
      return c;
    }

    @Override
    public void unread(int ch) {
      pos--;
      if (ch == '\n') {
        line--;
      }
    }

    @Override
    public void close() {}
  }

  /**
   * Builds an {@link Op} from a decoded op map whose keys are keyword names ("index", "time",
   * "process", "type", "f", "value", "error") and whose values are already converted to history
   * values. Shared by the EDN and JSON readers so both apply the same rules: unknown keys are
   * ignored, a missing index is assigned sequentially, a missing time is 0.
   */
  static final class OpMaps {
    private OpMaps() {}

    /**
     * @param fields the op map, keyed by field name without the colon
     * @param defaultIndex the index to use when the map has none (the op's position in the file)
     * @param where where the op is, for error messages (e.g. "line 7")
     * @throws IllegalArgumentException naming {@code where} and the field, for a missing or
     *     ill-typed field
     */
    static Op toOp(Map<String, Object> fields, long defaultIndex, String where) {
      try {
        long index = fields.containsKey("index") ? asLong(fields.get("index"), "index") : defaultIndex;
        long time = fields.containsKey("time") && fields.get("time") != null ? asLong(fields.get("time"), "time") : 0L;
        long process = asProcess(fields.get("process"));
        OpType type = OpType.fromKeywordName(asName(required(fields, "type"), "type"));
        Object fValue = fields.get("f");
        // elle-cli's list-append histories omit :f; their values are transactions.
        String f = fValue == null && looksLikeTxn(fields.get("value")) ? "txn" : asName(required(fields, "f"), "f");
        return new Op(index, time, process, type, f, fields.get("value"), fields.get("error"));
      } catch (IllegalArgumentException | NullPointerException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
    }

    /** Whether {@code value} is a non-empty list of micro-ops {@code [f k v]} with f a keyword or a name. */
    static boolean looksLikeTxn(Object value) {
      if (!(value instanceof List<?> mops) || mops.isEmpty()) {
        return false;
      }
      for (Object m : mops) {
        if (!(m instanceof List<?> mop && mop.size() == 3 && (mop.get(0) instanceof Keyword || mop.get(0) instanceof String))) {
          return false;
        }
      }
      return true;
    }

    /**
     * Rewrites old-style nemesis ops: Jepsen before 0.2 logged a nemesis invocation with {@code
     * :type :info} too, so its ops come as info/info pairs. A nemesis info op while no nemesis op
     * is open becomes an invoke, so such histories are well-formed.
     */
    static List<Op> normalizeNemesis(List<Op> ops) {
      List<Op> out = new ArrayList<>(ops.size());
      boolean nemesisOpen = false;
      for (Op op : ops) {
        if (op.isNemesis()) {
          if (op.isInvoke()) {
            nemesisOpen = true;
          } else if (nemesisOpen) {
            nemesisOpen = false;
          } else if (op.isInfo()) {
            op = new Op(op.index(), op.timeNanos(), op.process(), OpType.INVOKE, op.f(), op.value(), op.error());
            nemesisOpen = true;
          }
        }
        out.add(op);
      }
      return out;
    }

    private static Object required(Map<String, Object> fields, String name) {
      Object v = fields.get(name);
      if (v == null) {
        throw new IllegalArgumentException("missing :" + name);
      }
      return v;
    }

    private static long asLong(Object v, String field) {
      if (v instanceof Long l) {
        return l;
      }
      if (v instanceof Integer i) {
        return i;
      }
      throw new IllegalArgumentException(":" + field + " must be an integer, got " + describe(v));
    }

    private static long asProcess(Object v) {
      if (v == null) {
        throw new IllegalArgumentException("missing :process");
      }
      if ((v instanceof Keyword k && k.name().equals("nemesis")) || "nemesis".equals(v)) {
        return Op.NEMESIS;
      }
      long p = asLong(v, "process");
      if (p < 0) {
        throw new IllegalArgumentException(":process must be >= 0 or :nemesis, got " + p);
      }
      return p;
    }

    private static String asName(Object v, String field) {
      if (v instanceof Keyword k) {
        return k.name();
      }
      if (v instanceof String s && !s.isEmpty()) {
        return s;
      }
      throw new IllegalArgumentException(":" + field + " must be a keyword, got " + describe(v));
    }

    private static String describe(Object v) {
      return v == null ? "nil" : v + " (" + v.getClass().getSimpleName() + ")";
    }
  }
}
