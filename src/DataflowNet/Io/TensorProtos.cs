using System.Runtime.InteropServices;
using System.Text;
using DataflowNet.Io.Proto;
using Google.Protobuf;
using PDataType = DataflowNet.Io.Proto.DataType;

namespace DataflowNet.Io;

/// <summary>Converts values, shapes and dtypes between DataflowNet and TensorFlow's protos (TensorProto, TensorShapeProto, DataType).</summary>
internal static class TensorProtos
{
    public static PDataType ToProto(DataflowNet.DataType t) => (PDataType)(int)t;

    /// <summary>The library's dtype; a reference dtype (DT_FLOAT_REF…) is read as its value dtype, as TensorFlow does for a variable's output.</summary>
    public static DataflowNet.DataType FromProto(PDataType t, string where)
    {
        var n = (int)t;
        if (n > 100) n -= 100;
        var dt = (DataflowNet.DataType)n;
        if (Array.IndexOf(DataTypeExtensions.All, dt) < 0)
            throw new UnimplementedException($"{where}: dtype {t} is not supported by DataflowNet.");
        return dt;
    }

    public static TensorShapeProto ToProto(TensorShape shape)
    {
        var p = new TensorShapeProto();
        if (shape.IsUnknownRank) p.UnknownRank = true;
        else foreach (var d in shape.Dims) p.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        return p;
    }

    public static TensorShape FromProto(TensorShapeProto p) =>
        p.UnknownRank ? TensorShape.Unknown : new TensorShape(p.Dim.Select(d => checked((int)Math.Max(d.Size, -1))).ToArray());

    /// <summary>Numeric values as little-endian tensor_content (as TensorFlow writes them); strings as string_val.</summary>
    public static TensorProto ToProto(TensorValue v)
    {
        var p = new TensorProto { Dtype = ToProto(v.dtype), TensorShape = ToProto(new TensorShape(v.Dims)) };
        if (v.dtype == DataflowNet.DataType.String)
            foreach (var s in v.Buffer<string>()) p.StringVal.Add(ByteString.CopyFrom(s ?? "", Encoding.UTF8));
        else
            p.TensorContent = ByteString.CopyFrom(v.dtype switch
            {
                DataflowNet.DataType.Float32 => MemoryMarshal.AsBytes(v.Buffer<float>().AsSpan()),
                DataflowNet.DataType.Float64 => MemoryMarshal.AsBytes(v.Buffer<double>().AsSpan()),
                DataflowNet.DataType.Int32 => MemoryMarshal.AsBytes(v.Buffer<int>().AsSpan()),
                DataflowNet.DataType.Int64 => MemoryMarshal.AsBytes(v.Buffer<long>().AsSpan()),
                DataflowNet.DataType.UInt8 => v.Buffer<byte>().AsSpan(),
                DataflowNet.DataType.Bool => MemoryMarshal.AsBytes(v.Buffer<bool>().AsSpan()),
                _ => throw new UnimplementedException($"Cannot write a {v.dtype.Name()} tensor."),
            });
        if (!BitConverter.IsLittleEndian) throw new UnimplementedException("GraphDef tensor_content needs a little-endian machine.");
        return p;
    }

    /// <summary>The value a TensorProto holds: from tensor_content, or from the typed *_val field, the last value repeated to fill the shape.</summary>
    public static TensorValue FromProto(TensorProto p, string where)
    {
        var dt = FromProto(p.Dtype, where);
        if (p.TensorShape is not null && p.TensorShape.UnknownRank) throw new InvalidArgumentException($"{where}: a tensor value must have a known shape.");
        var dims = p.TensorShape is null ? [] : FromProto(p.TensorShape).Dims;
        if (Array.Exists(dims, d => d < 0)) throw new InvalidArgumentException($"{where}: a tensor value must have a fully defined shape, got {TensorShape.Format(dims)}.");
        var count = ShapeUtil.Count(dims);
        return dt switch
        {
            DataflowNet.DataType.Float32 => Make(p, dims, count, p.FloatVal, where),
            DataflowNet.DataType.Float64 => Make(p, dims, count, p.DoubleVal, where),
            DataflowNet.DataType.Int32 => Make(p, dims, count, p.IntVal, where),
            DataflowNet.DataType.Int64 => Make(p, dims, count, p.Int64Val, where),
            DataflowNet.DataType.UInt8 => Make(p, dims, count, p.IntVal.Select(i => (byte)i).ToList(), where),
            DataflowNet.DataType.Bool => Make(p, dims, count, p.BoolVal, where),
            DataflowNet.DataType.String => TensorValue.Create(Fill(p.StringVal.Select(s => s.ToStringUtf8()).ToList(), count, "", where), dims),
            _ => throw new UnimplementedException($"{where}: dtype {dt.Name()} values are not supported."),
        };
    }

    private static TensorValue Make<T>(TensorProto p, int[] dims, int count, IList<T> vals, string where) where T : unmanaged
    {
        if (p.TensorContent.Length > 0)
        {
            var size = Marshal.SizeOf<T>();
            if (p.TensorContent.Length != count * size)
                throw new InvalidArgumentException($"{where}: tensor_content has {p.TensorContent.Length} bytes, shape {TensorShape.Format(dims)} of {typeof(T).Name} needs {count * size}.");
            var data = new T[count];
            p.TensorContent.Span.CopyTo(MemoryMarshal.AsBytes(data.AsSpan()));
            return TensorValue.Create(data, dims);
        }
        return TensorValue.Create(Fill(vals, count, default, where), dims);
    }

    private static T[] Fill<T>(IList<T> vals, int count, T empty, string where)
    {
        if (vals.Count > count) throw new InvalidArgumentException($"{where}: {vals.Count} values for a tensor of {count} elements.");
        var data = new T[count];
        for (int i = 0; i < count; i++) data[i] = vals.Count == 0 ? empty : vals[Math.Min(i, vals.Count - 1)];
        return data;
    }
}
