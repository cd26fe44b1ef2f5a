using System.Text;
using DataflowNet.Io.Proto;
using Google.Protobuf;

namespace DataflowNet.Io;

/// <summary>Op attributes to and from TensorFlow's AttrValue encoding.</summary>
internal static class AttrValues
{
    public static AttrValue ToProto(object value, string where) => value switch
    {
        DataflowNet.DataType t => new AttrValue { Type = TensorProtos.ToProto(t) },
        bool b => new AttrValue { B = b },
        int i => new AttrValue { I = i },
        long l => new AttrValue { I = l },
        float f => new AttrValue { F = f },
        double d => new AttrValue { F = (float)d },
        string s => new AttrValue { S = ByteString.CopyFrom(s, Encoding.UTF8) },
        TensorShape s => new AttrValue { Shape = TensorProtos.ToProto(s) },
        TensorValue v => new AttrValue { Tensor = TensorProtos.ToProto(v) },
        // Before int[]: the runtime lets an enum array pass as an array of its underlying type.
        DataflowNet.DataType[] a => List(l => l.Type.Add(a.Select(TensorProtos.ToProto))),
        int[] a => List(l => l.I.Add(a.Select(x => (long)x))),
        long[] a => List(l => l.I.Add(a)),
        float[] a => List(l => l.F.Add(a)),
        bool[] a => List(l => l.B.Add(a)),
        string[] a => List(l => l.S.Add(a.Select(x => ByteString.CopyFrom(x, Encoding.UTF8)))),
        TensorShape[] a => List(l => l.Shape.Add(a.Select(TensorProtos.ToProto))),
        _ => throw new UnimplementedException($"{where}: attribute of type {value.GetType().Name} has no GraphDef encoding."),
    };

    private static AttrValue List(Action<AttrValue.Types.ListValue> fill)
    {
        var l = new AttrValue.Types.ListValue();
        fill(l);
        return new AttrValue { List = l };
    }

    /// <summary>
    /// An int attribute as the op keeps it: a long where its default is one; otherwise an int. TensorFlow's seeds are
    /// int64 and often past int's range: those fold to an int (the stream differs from TensorFlow's in any case).
    /// </summary>
    private static object Int(long value, object? defaultValue, string where)
    {
        if (defaultValue is long || (defaultValue is null && value is > int.MaxValue or < int.MinValue)) return value;
        if (value is >= int.MinValue and <= int.MaxValue) return (int)value;
        if (where.Contains("seed", StringComparison.Ordinal)) return unchecked((int)(value ^ (value >> 32)));
        throw new InvalidArgumentException($"{where}: {value} does not fit the int this op keeps.");
    }

    /// <summary>
    /// The library's value for an attribute. Integers become int unless the op's default for the attribute is a long
    /// (or the value does not fit); an empty list takes the type of the op's default, int[] when there is none.
    /// </summary>
    public static object FromProto(AttrValue a, object? defaultValue, string where)
    {
        switch (a.ValueCase)
        {
            case AttrValue.ValueOneofCase.S: return a.S.ToStringUtf8();
            case AttrValue.ValueOneofCase.I: return Int(a.I, defaultValue, where);
            case AttrValue.ValueOneofCase.F: return a.F;
            case AttrValue.ValueOneofCase.B: return a.B;
            case AttrValue.ValueOneofCase.Type: return TensorProtos.FromProto(a.Type, where);
            case AttrValue.ValueOneofCase.Shape: return TensorProtos.FromProto(a.Shape);
            case AttrValue.ValueOneofCase.Tensor: return TensorProtos.FromProto(a.Tensor, where);
            case AttrValue.ValueOneofCase.List:
                var l = a.List;
                if (l.S.Count > 0) return l.S.Select(s => s.ToStringUtf8()).ToArray();
                if (l.F.Count > 0) return l.F.ToArray();
                if (l.B.Count > 0) return l.B.ToArray();
                if (l.Type.Count > 0) return l.Type.Select(t => TensorProtos.FromProto(t, where)).ToArray();
                if (l.Shape.Count > 0) return l.Shape.Select(TensorProtos.FromProto).ToArray();
                if (l.Tensor.Count > 0) return l.Tensor.Select(t => TensorProtos.FromProto(t, where)).ToArray();
                if (l.Func.Count > 0) throw new UnimplementedException($"{where}: function attributes are not supported.");
                if (defaultValue is long[] || l.I.Any(i => i is > int.MaxValue or < int.MinValue)) return l.I.ToArray();
                if (l.I.Count > 0) return l.I.Select(i => (int)i).ToArray();
                return defaultValue is Array empty ? Array.CreateInstance(empty.GetType().GetElementType()!, 0) : Array.Empty<int>();
            case AttrValue.ValueOneofCase.Func:
                throw new UnimplementedException($"{where}: function attributes are not supported.");
            default:
                throw new InvalidArgumentException($"{where}: attribute has no value ({a.ValueCase}).");
        }
    }
}
