namespace DataflowNet.Kernels.Gpu;

// The GPU's elementwise operators: each a struct the generic kernels are specialized on. MathF calls are mapped to
// device intrinsics by ILGPU.

internal interface IUnaryOp { float Apply(float x); }
internal interface IBinaryOp { float Apply(float a, float b); }

internal struct CopyOp : IUnaryOp { public readonly float Apply(float x) => x; }
internal struct NegOp : IUnaryOp { public readonly float Apply(float x) => -x; }
internal struct AbsOp : IUnaryOp { public readonly float Apply(float x) => MathF.Abs(x); }
internal struct SquareOp : IUnaryOp { public readonly float Apply(float x) => x * x; }
internal struct SqrtOp : IUnaryOp { public readonly float Apply(float x) => MathF.Sqrt(x); }
internal struct ExpOp : IUnaryOp { public readonly float Apply(float x) => MathF.Exp(x); }
internal struct LogOp : IUnaryOp { public readonly float Apply(float x) => MathF.Log(x); }
internal struct TanhOp : IUnaryOp { public readonly float Apply(float x) => MathF.Tanh(x); }
internal struct ReluOp : IUnaryOp { public readonly float Apply(float x) => x > 0 ? x : 0f; }
internal struct ReciprocalOp : IUnaryOp { public readonly float Apply(float x) => 1f / x; }

/// <summary>1 / (1 + e^-x), written so neither branch overflows.</summary>
internal struct SigmoidOp : IUnaryOp
{
    public readonly float Apply(float x)
    {
        if (x >= 0) return 1f / (1f + MathF.Exp(-x));
        var e = MathF.Exp(x);
        return e / (1f + e);
    }
}

internal struct AddOp : IBinaryOp { public readonly float Apply(float a, float b) => a + b; }
internal struct SubOp : IBinaryOp { public readonly float Apply(float a, float b) => a - b; }
internal struct MulOp : IBinaryOp { public readonly float Apply(float a, float b) => a * b; }
internal struct DivOp : IBinaryOp { public readonly float Apply(float a, float b) => a / b; }
internal struct MaxOp : IBinaryOp { public readonly float Apply(float a, float b) => float.IsNaN(a) || a > b ? a : b; }
internal struct MinOp : IBinaryOp { public readonly float Apply(float a, float b) => float.IsNaN(a) || a < b ? a : b; }
internal struct SquaredDifferenceOp : IBinaryOp { public readonly float Apply(float a, float b) => (a - b) * (a - b); }
/// <summary>TensorFlow's ReluGrad(gradients, features): the gradient where the feature is positive.</summary>
internal struct ReluGradOp : IBinaryOp { public readonly float Apply(float g, float x) => x > 0 ? g : 0f; }
/// <summary>SigmoidGrad(y, dy) = dy · y · (1 − y).</summary>
internal struct SigmoidGradOp : IBinaryOp { public readonly float Apply(float y, float dy) => dy * y * (1f - y); }
/// <summary>TanhGrad(y, dy) = dy · (1 − y²).</summary>
internal struct TanhGradOp : IBinaryOp { public readonly float Apply(float y, float dy) => dy * (1f - y * y); }
