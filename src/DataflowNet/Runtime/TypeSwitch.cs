using System.Numerics;

namespace DataflowNet;

/// <summary>A generic action over a numeric element type; a struct so the dispatch costs no virtual call.</summary>
internal interface INumericAction
{
    void Invoke<T>() where T : unmanaged, INumber<T>;
}

/// <summary>A generic action over a floating-point element type.</summary>
internal interface IFloatAction
{
    void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>A generic action over any element type (strings and bools included), for kernels that only move data.</summary>
internal interface IAnyAction
{
    void Invoke<T>();
}

/// <summary>The one place a runtime dtype becomes a generic type argument.</summary>
internal static class TypeSwitch
{
    public static void Numeric<TAction>(DataType dt, ref TAction action) where TAction : struct, INumericAction
    {
        switch (dt)
        {
            case DataType.Float32: action.Invoke<float>(); break;
            case DataType.Float64: action.Invoke<double>(); break;
            case DataType.Int32: action.Invoke<int>(); break;
            case DataType.Int64: action.Invoke<long>(); break;
            case DataType.UInt8: action.Invoke<byte>(); break;
            default: throw new UnimplementedException($"No numeric kernel for dtype {dt.Name()}.");
        }
    }

    public static void Float<TAction>(DataType dt, ref TAction action) where TAction : struct, IFloatAction
    {
        switch (dt)
        {
            case DataType.Float32: action.Invoke<float>(); break;
            case DataType.Float64: action.Invoke<double>(); break;
            default: throw new UnimplementedException($"No floating-point kernel for dtype {dt.Name()}.");
        }
    }

    public static void Any<TAction>(DataType dt, ref TAction action) where TAction : struct, IAnyAction
    {
        switch (dt)
        {
            case DataType.Float32: action.Invoke<float>(); break;
            case DataType.Float64: action.Invoke<double>(); break;
            case DataType.Int32: action.Invoke<int>(); break;
            case DataType.Int64: action.Invoke<long>(); break;
            case DataType.UInt8: action.Invoke<byte>(); break;
            case DataType.Bool: action.Invoke<bool>(); break;
            case DataType.String: action.Invoke<string>(); break;
            default: throw new UnimplementedException($"No kernel for dtype {dt.Name()}.");
        }
    }
}
