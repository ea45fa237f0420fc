package io.drover.core.dsl;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.luaj.vm2.ast.Exp;
import org.luaj.vm2.ast.TableConstructor;
import org.luaj.vm2.ast.TableField;
import org.luaj.vm2.ast.Visitor;
import org.luaj.vm2.parser.LuaParser;

/**
 * Where groups, tasks and their fields are written, read off the syntax tree (Lua tables keep no line numbers).
 * Best effort: a table built by code rather than written out has no lines, and errors about it name the file only.
 */
final class LineIndex {
  /** Lines of one table constructor: its own and each named field's. */
  record Lines(int line, Map<String, Integer> fields) {
    int field(String name) {
      return fields.getOrDefault(name, line);
    }
  }

  private static final Lines NONE = new Lines(0, Map.of());
  private final Map<String, Lines> groups = new HashMap<>();
  private final Map<String, List<Lines>> tasks = new HashMap<>();

  static LineIndex of(String text) {
    LineIndex index = new LineIndex();
    try {
      new LuaParser(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8))).Chunk().accept(new Visitor() {
        @Override
        public void visit(TableConstructor t) {
          index.scan(t);
          super.visit(t);
        }
      });
    } catch (Exception | Error e) {
      // the compiler reports syntax errors; without a tree, errors carry no line
    }
    return index;
  }

  /** A named field whose value is a table with a {@code tasks} field is taken for a group. */
  private void scan(TableConstructor t) {
    if (t.fields == null) return;
    for (Object o : t.fields) {
      TableField f = (TableField) o;
      if (f.name == null || !(f.rhs instanceof TableConstructor group) || groups.containsKey(f.name)) continue;
      Lines g = lines(group);
      if (!g.fields().containsKey("tasks")) continue;
      groups.put(f.name, g);
      TableField tasksField = field(group, "tasks");
      if (tasksField != null && tasksField.rhs instanceof TableConstructor list && list.fields != null) {
        List<Lines> items = new java.util.ArrayList<>();
        for (Object io : list.fields) {
          TableField item = (TableField) io;
          if (item.name != null || item.index != null) break; // not a plain list: positions would lie
          items.add(item.rhs instanceof TableConstructor tc ? lines(tc) : new Lines(item.beginLine, Map.of()));
        }
        tasks.put(f.name, items);
      }
    }
  }

  private static TableField field(TableConstructor t, String name) {
    for (Object o : t.fields) {
      TableField f = (TableField) o;
      if (name.equals(f.name)) return f;
    }
    return null;
  }

  private static Lines lines(TableConstructor t) {
    Map<String, Integer> fields = new HashMap<>();
    if (t.fields != null) {
      for (Object o : t.fields) {
        TableField f = (TableField) o;
        if (f.name != null) fields.putIfAbsent(f.name, f.beginLine);
        else if (f.index instanceof Exp.Constant c && c.value.isstring()) fields.putIfAbsent(c.value.tojstring(), f.beginLine);
      }
    }
    return new Lines(t.beginLine, fields);
  }

  Lines group(String name) {
    return groups.getOrDefault(name, NONE);
  }

  /** The task at {@code position} (1-based) of a group's {@code tasks} list. */
  Lines task(String group, int position) {
    List<Lines> l = tasks.get(group);
    return l == null || position < 1 || position > l.size() ? NONE : l.get(position - 1);
  }
}
