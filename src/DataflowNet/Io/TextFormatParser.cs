using System.Collections;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace DataflowNet.Io;

/// <summary>
/// Reads protocol buffer text format (TensorFlow's <c>.pbtxt</c>): nested messages in <c>{ }</c> or <c>&lt; &gt;</c>,
/// repeated fields (one per line or as <c>[a, b]</c>), map entries as <c>key</c>/<c>value</c> blocks, strings with
/// C escapes (\n, \xHH, octal), adjacent strings joined, enums by name or number, <c>#</c> comments.
/// </summary>
public sealed class TextFormatParser
{
    private readonly string _text;
    private int _pos;
    private int _line = 1;

    private TextFormatParser(string text) => _text = text;

    public static T Parse<T>(string text) where T : IMessage<T>, new()
    {
        var message = new T();
        var p = new TextFormatParser(text);
        p.ParseFields(message, end: null);
        return message;
    }

    private void ParseFields(IMessage message, string? end)
    {
        while (true)
        {
            SkipSpace();
            if (_pos >= _text.Length)
            {
                if (end is not null) throw Error($"expected '{end}' before the end of the text");
                return;
            }
            if (end is not null && TryConsume(end)) return;
            var name = Identifier();
            var field = message.Descriptor.FindFieldByName(name);
            if (field is null)
            {
                if (!Unmodelled.Contains((message.Descriptor.FullName, name)))
                    throw Error($"message {message.Descriptor.FullName} has no field named '{name}'");
                SkipValue();
            }
            else ParseField(message, field);
            SkipSpace();
            if (!TryConsume(";")) TryConsume(",");
        }
    }

    private void ParseField(IMessage message, FieldDescriptor field)
    {
        if (field.FieldType == FieldType.Message)
        {
            TryConsume(":");
            SkipSpace();
            if (TryConsume("["))
            {
                SkipSpace();
                if (TryConsume("]")) return;
                do { ParseMessageValue(message, field); SkipSpace(); } while (TryConsume(","));
                Expect("]");
            }
            else ParseMessageValue(message, field);
            return;
        }
        Expect(":");
        SkipSpace();
        if (field.IsRepeated && TryConsume("["))
        {
            SkipSpace();
            if (TryConsume("]")) return;
            do { ((IList)field.Accessor.GetValue(message)).Add(ScalarValue(field)); SkipSpace(); } while (TryConsume(","));
            Expect("]");
            return;
        }
        var value = ScalarValue(field);
        if (field.IsRepeated) ((IList)field.Accessor.GetValue(message)).Add(value);
        else field.Accessor.SetValue(message, value);
    }

    private void ParseMessageValue(IMessage message, FieldDescriptor field)
    {
        SkipSpace();
        string close = TryConsume("{") ? "}" : TryConsume("<") ? ">" : throw Error($"expected '{{' after '{field.Name}'");
        if (field.IsMap)
        {
            var entry = field.MessageType;
            object? key = null, value = null;
            while (true)
            {
                SkipSpace();
                if (TryConsume(close)) break;
                var name = Identifier();
                var f = entry.FindFieldByName(name) ?? throw Error($"map entry '{field.Name}' has no field '{name}'");
                if (f.FieldType == FieldType.Message)
                {
                    var m = NewMessage(f.MessageType);
                    TryConsume(":");
                    SkipSpace();
                    string c = TryConsume("{") ? "}" : TryConsume("<") ? ">" : throw Error($"expected '{{' after '{name}'");
                    ParseFields(m, c);
                    value = m;
                }
                else
                {
                    Expect(":");
                    SkipSpace();
                    var v = ScalarValue(f);
                    if (f.FieldNumber == 1) key = v; else value = v;
                }
                SkipSpace();
                if (!TryConsume(";")) TryConsume(",");
            }
            var valueField = entry.FindFieldByNumber(2);
            value ??= valueField.FieldType == FieldType.Message ? NewMessage(valueField.MessageType) : DefaultScalar(valueField);
            key ??= DefaultScalar(entry.FindFieldByNumber(1));
            ((IDictionary)field.Accessor.GetValue(message))[key] = value;
            return;
        }
        IMessage target;
        if (field.IsRepeated) { target = NewMessage(field.MessageType); ((IList)field.Accessor.GetValue(message)).Add(target); }
        else
        {
            target = field.Accessor.GetValue(message) as IMessage ?? NewMessage(field.MessageType);
            field.Accessor.SetValue(message, target);
        }
        ParseFields(target, close);
    }

    private static IMessage NewMessage(MessageDescriptor d) => (IMessage)Activator.CreateInstance(d.ClrType)!;

    private static object DefaultScalar(FieldDescriptor f) => f.FieldType switch
    {
        FieldType.String => "",
        FieldType.Bytes => ByteString.Empty,
        FieldType.Bool => false,
        FieldType.Enum => Enum.ToObject(f.EnumType.ClrType, 0),
        _ => Convert.ChangeType(0, ClrOf(f), CultureInfo.InvariantCulture),
    };

    private static Type ClrOf(FieldDescriptor f) => f.FieldType switch
    {
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => typeof(int),
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => typeof(long),
        FieldType.UInt32 or FieldType.Fixed32 => typeof(uint),
        FieldType.UInt64 or FieldType.Fixed64 => typeof(ulong),
        FieldType.Float => typeof(float),
        FieldType.Double => typeof(double),
        _ => typeof(object),
    };

    private object ScalarValue(FieldDescriptor f)
    {
        switch (f.FieldType)
        {
            case FieldType.String: return Encoding.UTF8.GetString(StringBytes());
            case FieldType.Bytes: return ByteString.CopyFrom(StringBytes());
            case FieldType.Bool:
                var b = Identifier();
                return b switch
                {
                    "true" or "True" or "t" or "1" => true,
                    "false" or "False" or "f" or "0" => false,
                    _ => throw Error($"'{b}' is not a bool for field '{f.Name}'"),
                };
            case FieldType.Enum:
                var tok = Identifier();
                if (int.TryParse(tok, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)) return Enum.ToObject(f.EnumType.ClrType, n);
                var ev = f.EnumType.FindValueByName(tok) ?? throw Error($"'{tok}' is not a value of enum {f.EnumType.Name}");
                return Enum.ToObject(f.EnumType.ClrType, ev.Number);
            case FieldType.Float or FieldType.Double:
                var t = Identifier();
                double d = t.ToLowerInvariant() switch
                {
                    "inf" or "infinity" or "+inf" => double.PositiveInfinity,
                    "-inf" or "-infinity" => double.NegativeInfinity,
                    "nan" or "-nan" or "+nan" => double.NaN,
                    var s => double.TryParse(s.TrimEnd('f'), NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x : throw Error($"'{t}' is not a number for field '{f.Name}'"),
                };
                return f.FieldType == FieldType.Float ? (object)(float)d : d;
            default:
                var it = Identifier();
                var neg = it.StartsWith('-');
                var digits = neg ? it[1..] : it;
                ulong u;
                try
                {
                    u = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? Convert.ToUInt64(digits[2..], 16)
                        : digits.Length > 1 && digits.StartsWith('0') ? Convert.ToUInt64(digits[1..], 8)
                        : ulong.Parse(digits, CultureInfo.InvariantCulture);
                }
                catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
                {
                    throw Error($"'{it}' is not an integer for field '{f.Name}'");
                }
                var type = ClrOf(f);
                try
                {
                    checked
                    {
                        if (type == typeof(ulong)) return neg ? throw Error($"'{it}' is negative for unsigned field '{f.Name}'") : u;
                        if (type == typeof(uint)) return neg ? throw Error($"'{it}' is negative for unsigned field '{f.Name}'") : (uint)u;
                        var signed = neg ? (u == 1UL << 63 ? long.MinValue : -(long)u) : (long)u;
                        return type == typeof(int) ? (object)(int)signed : signed;
                    }
                }
                catch (OverflowException) { throw Error($"'{it}' is out of range for field '{f.Name}'"); }
        }
    }

    /// <summary>One or more adjacent quoted strings, unescaped to bytes.</summary>
    private byte[] StringBytes()
    {
        var bytes = new List<byte>();
        SkipSpace();
        if (_pos >= _text.Length || _text[_pos] is not ('"' or '\'')) throw Error("expected a quoted string");
        while (_pos < _text.Length && _text[_pos] is '"' or '\'')
        {
            var quote = _text[_pos++];
            while (true)
            {
                if (_pos >= _text.Length || _text[_pos] == '\n') throw Error("unterminated string");
                var c = _text[_pos++];
                if (c == quote) break;
                if (c != '\\') { AppendUtf8(bytes, c); continue; }
                if (_pos >= _text.Length) throw Error("unterminated string");
                var e = _text[_pos++];
                switch (e)
                {
                    case 'n': bytes.Add((byte)'\n'); break;
                    case 'r': bytes.Add((byte)'\r'); break;
                    case 't': bytes.Add((byte)'\t'); break;
                    case 'a': bytes.Add(7); break;
                    case 'b': bytes.Add(8); break;
                    case 'f': bytes.Add(12); break;
                    case 'v': bytes.Add(11); break;
                    case '\\' or '\'' or '"' or '?': bytes.Add((byte)e); break;
                    case 'x' or 'X':
                        int hex = 0, nh = 0;
                        while (nh < 2 && _pos < _text.Length && Uri.IsHexDigit(_text[_pos])) { hex = hex * 16 + Convert.ToInt32(_text[_pos++].ToString(), 16); nh++; }
                        if (nh == 0) throw Error("\\x with no hex digits");
                        bytes.Add((byte)hex);
                        break;
                    case >= '0' and <= '7':
                        int oct = e - '0', no = 1;
                        while (no < 3 && _pos < _text.Length && _text[_pos] is >= '0' and <= '7') { oct = oct * 8 + (_text[_pos++] - '0'); no++; }
                        bytes.Add((byte)oct);
                        break;
                    default: throw Error($"unknown escape '\\{e}'");
                }
            }
            SkipSpace();
        }
        return bytes.ToArray();
    }

    private static void AppendUtf8(List<byte> bytes, char c)
    {
        if (c < 0x80) bytes.Add((byte)c);
        else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
    }

    /// <summary>A bare token: a field name, enum name, number or bool.</summary>
    /// <summary>
    /// Fields TensorFlow writes that DataflowNet does not model (binary parsing keeps them as unknown fields): an
    /// exported MetaGraphDef always carries its stripped op list, a graph with functions its library. Skipped, so
    /// text files TensorFlow wrote read; any other unknown name stays an error (a typo in a hand-written file).
    /// </summary>
    private static readonly HashSet<(string Message, string Field)> Unmodelled =
    [
        ("tensorflow.MetaGraphDef.MetaInfoDef", "stripped_op_list"), ("tensorflow.MetaGraphDef.MetaInfoDef", "any_info"),
        ("tensorflow.MetaGraphDef.MetaInfoDef", "function_aliases"),
        ("tensorflow.FunctionDefLibrary", "function"), ("tensorflow.FunctionDefLibrary", "gradient"),
        ("tensorflow.FunctionDefLibrary", "registered_gradients"),
    ];

    /// <summary>Skips one field's value: a scalar (strings, numbers, names), a message in braces, or a list.</summary>
    private void SkipValue()
    {
        TryConsume(":");
        SkipSpace();
        if (_pos >= _text.Length) throw Error("unexpected end of text");
        char c = _text[_pos];
        if (c is '{' or '<' or '[') { SkipBalanced(); return; }
        if (c is '"' or '\'')
        {
            while (_pos < _text.Length && _text[_pos] is '"' or '\'') { SkipString(); SkipSpace(); }
            return;
        }
        Identifier();
    }

    /// <summary>Skips a bracketed block, nested brackets and quoted strings included.</summary>
    private void SkipBalanced()
    {
        int depth = 0;
        do
        {
            if (_pos >= _text.Length) throw Error("unexpected end of text inside a skipped field");
            char c = _text[_pos];
            if (c is '"' or '\'') { SkipString(); continue; }
            if (c == '#') { SkipSpace(); continue; }
            if (c == '\n') _line++;
            if (c is '{' or '<' or '[') depth++;
            else if (c is '}' or '>' or ']') depth--;
            _pos++;
        } while (depth > 0);
    }

    private void SkipString()
    {
        char quote = _text[_pos++];
        while (_pos < _text.Length && _text[_pos] != quote)
        {
            if (_text[_pos] == '\\') _pos++;
            else if (_text[_pos] == '\n') throw Error("a string runs past the end of its line");
            _pos++;
        }
        if (_pos >= _text.Length) throw Error("unterminated string");
        _pos++;
    }

    private string Identifier()
    {
        SkipSpace();
        var start = _pos;
        while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] is '_' or '-' or '+' or '.')) _pos++;
        if (_pos == start)
            throw Error(_pos < _text.Length ? $"unexpected '{_text[_pos]}'" : "unexpected end of text");
        return _text[start.._pos];
    }

    private void SkipSpace()
    {
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (c == '#') { while (_pos < _text.Length && _text[_pos] != '\n') _pos++; }
            else if (char.IsWhiteSpace(c)) { if (c == '\n') _line++; _pos++; }
            else break;
        }
    }

    private bool TryConsume(string s)
    {
        SkipSpace();
        if (string.CompareOrdinal(_text, _pos, s, 0, s.Length) != 0) return false;
        _pos += s.Length;
        return true;
    }

    private void Expect(string s)
    {
        if (!TryConsume(s)) throw Error($"expected '{s}'");
    }

    private InvalidArgumentException Error(string message) => new($"Text format parse error at line {_line}: {message}.");
}
