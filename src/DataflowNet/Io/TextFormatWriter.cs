using System.Collections;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace DataflowNet.Io;

/// <summary>
/// Protocol buffer text format, as TensorFlow writes <c>.pbtxt</c> files (C++ TextFormat): fields in field-number
/// order, two-space indent, map entries sorted by key, bytes with C escapes and octal for other bytes.
/// </summary>
public static class TextFormatWriter
{
    public static string Print(IMessage message)
    {
        var sb = new StringBuilder();
        WriteMessage(sb, message, 0);
        return sb.ToString();
    }

    private static void WriteMessage(StringBuilder sb, IMessage message, int indent)
    {
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var value = field.Accessor.GetValue(message);
            if (field.IsMap)
            {
                var map = (IDictionary)value;
                var keyField = field.MessageType.FindFieldByNumber(1);
                var valueField = field.MessageType.FindFieldByNumber(2);
                foreach (var key in map.Keys.Cast<object>().OrderBy(k => k.ToString(), StringComparer.Ordinal))
                {
                    Line(sb, indent, field.Name + " {");
                    WriteField(sb, keyField, key, indent + 1);
                    WriteField(sb, valueField, map[key]!, indent + 1);
                    Line(sb, indent, "}");
                }
            }
            else if (field.IsRepeated)
                foreach (var item in (IList)value) WriteField(sb, field, item, indent);
            else if (field.RealContainingOneof is not null ? field.Accessor.HasValue(message) : !IsDefault(field, value))
                WriteField(sb, field, value, indent);
        }
    }

    private static bool IsDefault(FieldDescriptor field, object? value) => value switch
    {
        null => true,
        IMessage => false,
        string s => s.Length == 0,
        ByteString b => b.IsEmpty,
        bool b => !b,
        float f => f == 0 && !float.IsNegative(f),
        double d => d == 0 && !double.IsNegative(d),
        Enum e => Convert.ToInt32(e, CultureInfo.InvariantCulture) == 0,
        _ => Convert.ToDecimal(value, CultureInfo.InvariantCulture) == 0,
    };

    private static void WriteField(StringBuilder sb, FieldDescriptor field, object value, int indent)
    {
        if (field.FieldType == FieldType.Message)
        {
            Line(sb, indent, field.Name + " {");
            WriteMessage(sb, (IMessage)value, indent + 1);
            Line(sb, indent, "}");
        }
        else Line(sb, indent, field.Name + ": " + Scalar(field, value));
    }

    private static string Scalar(FieldDescriptor field, object value) => value switch
    {
        string s => Quote(Encoding.UTF8.GetBytes(s)),
        ByteString b => Quote(b.Span),
        bool b => b ? "true" : "false",
        float f => FormatFloat(f),
        double d => FormatDouble(d),
        Enum e => field.EnumType.FindValueByNumber(Convert.ToInt32(e, CultureInfo.InvariantCulture))?.Name
                  ?? Convert.ToInt32(e, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };

    private static string FormatFloat(float f) =>
        float.IsNaN(f) ? "nan" : float.IsPositiveInfinity(f) ? "inf" : float.IsNegativeInfinity(f) ? "-inf" : f.ToString("R", CultureInfo.InvariantCulture);

    private static string FormatDouble(double d) =>
        double.IsNaN(d) ? "nan" : double.IsPositiveInfinity(d) ? "inf" : double.IsNegativeInfinity(d) ? "-inf" : d.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>C escaping, as protobuf's CEscape: \n \r \t \" \' \\, printable ASCII as is, every other byte as three octal digits.</summary>
    internal static string Quote(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder("\"");
        foreach (var b in bytes)
        {
            switch (b)
            {
                case (byte)'\n': sb.Append("\\n"); break;
                case (byte)'\r': sb.Append("\\r"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                case (byte)'"': sb.Append("\\\""); break;
                case (byte)'\'': sb.Append("\\'"); break;
                case (byte)'\\': sb.Append("\\\\"); break;
                default:
                    if (b >= 0x20 && b < 0x7F) sb.Append((char)b);
                    else sb.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    private static void Line(StringBuilder sb, int indent, string text) => sb.Append(' ', indent * 2).Append(text).Append('\n');
}
