namespace DataflowNet;

/// <summary>Element types, numbered as TensorFlow's DataType proto so graph files map one to one.</summary>
public enum DataType
{
    Invalid = 0,
    Float32 = 1,
    Float64 = 2,
    Int32 = 3,
    UInt8 = 4,
    String = 7,
    Int64 = 9,
    Bool = 10,
}

public static class DataTypeExtensions
{
    /// <summary>TensorFlow's Python name: float32, int32, string…</summary>
    public static string Name(this DataType t) => t switch
    {
        DataType.Float32 => "float32",
        DataType.Float64 => "float64",
        DataType.Int32 => "int32",
        DataType.Int64 => "int64",
        DataType.UInt8 => "uint8",
        DataType.Bool => "bool",
        DataType.String => "string",
        _ => "invalid",
    };

    public static Type ClrType(this DataType t) => t switch
    {
        DataType.Float32 => typeof(float),
        DataType.Float64 => typeof(double),
        DataType.Int32 => typeof(int),
        DataType.Int64 => typeof(long),
        DataType.UInt8 => typeof(byte),
        DataType.Bool => typeof(bool),
        DataType.String => typeof(string),
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "no element type"),
    };

    public static DataType FromClr(Type t)
    {
        if (t == typeof(float)) return DataType.Float32;
        if (t == typeof(double)) return DataType.Float64;
        if (t == typeof(int)) return DataType.Int32;
        if (t == typeof(long)) return DataType.Int64;
        if (t == typeof(byte)) return DataType.UInt8;
        if (t == typeof(bool)) return DataType.Bool;
        if (t == typeof(string)) return DataType.String;
        return DataType.Invalid;
    }

    public static bool IsFloating(this DataType t) => t is DataType.Float32 or DataType.Float64;
    public static bool IsInteger(this DataType t) => t is DataType.Int32 or DataType.Int64 or DataType.UInt8;
    public static bool IsNumeric(this DataType t) => t.IsFloating() || t.IsInteger();

    /// <summary>Bytes per element (strings are references).</summary>
    public static int Size(this DataType t) => t switch
    {
        DataType.Float32 or DataType.Int32 => 4,
        DataType.Float64 or DataType.Int64 => 8,
        DataType.UInt8 or DataType.Bool => 1,
        _ => IntPtr.Size,
    };

    internal static readonly DataType[] All =
        [DataType.Float32, DataType.Float64, DataType.Int32, DataType.Int64, DataType.UInt8, DataType.Bool, DataType.String];
    internal static readonly DataType[] Numeric =
        [DataType.Float32, DataType.Float64, DataType.Int32, DataType.Int64, DataType.UInt8];
    internal static readonly DataType[] Floating = [DataType.Float32, DataType.Float64];
    internal static readonly DataType[] Signed =
        [DataType.Float32, DataType.Float64, DataType.Int32, DataType.Int64];
}
