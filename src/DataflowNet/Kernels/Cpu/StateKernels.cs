using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DataflowNet.Kernels.Cpu;

/// <summary>Variables: reads go through the run's state; writes are staged there and committed when the run succeeds.</summary>
internal static class StateKernels
{
    public static void Register(KernelRegistry r)
    {
        // Outputs nothing when uninitialized; a consumer that needs the value reports the uninitialized variable.
        r.Register("VariableV2", null, ctx => ctx.Outputs[0] = ctx.Run.TryReadVariable(ctx.Self));
        r.Register("Assign", null, ctx =>
        {
            var value = ctx.Input(1);
            var variable = ctx.VariableKey(0);
            if (ctx.Attr<bool>("validate_shape"))
            {
                var declared = variable.outputs[0].shape;
                if (!declared.Accepts(value.Dims))
                    throw ctx.Error($"Assign requires shapes of both tensors to match. lhs shape= {declared} rhs shape= {TensorShape.Format(value.Dims)}");
            }
            ctx.Run.WriteVariable(variable, value);
            ctx.SetOutput(0, value);
        });
        r.Register("AssignAdd", DataTypeExtensions.Numeric, ctx => { var a = new UpdateAction(ctx, add: true); TypeSwitch.Numeric(ctx.Input(1).dtype, ref a); });
        r.Register("AssignSub", DataTypeExtensions.Numeric, ctx => { var a = new UpdateAction(ctx, add: false); TypeSwitch.Numeric(ctx.Input(1).dtype, ref a); });
    }

    private readonly struct UpdateAction(KernelContext ctx, bool add) : INumericAction
    {
        public void Invoke<T>() where T : unmanaged, INumber<T>
        {
            var variable = ctx.VariableKey(0);
            var old = ctx.Run.ReadVariable(variable);
            var delta = ctx.Input(1);
            if (!old.Dims.AsSpan().SequenceEqual(delta.Dims))
                throw ctx.Error($"Shapes must be equal: variable {variable.name} has shape {TensorShape.Format(old.Dims)}, the update has shape {TensorShape.Format(delta.Dims)}.");
            var result = TensorValue.Allocate(old.dtype, old.Dims);
            if (add) TP.Add<T>(old.Buffer<T>(), delta.Buffer<T>(), result.Buffer<T>());
            else TP.Subtract<T>(old.Buffer<T>(), delta.Buffer<T>(), result.Buffer<T>());
            ctx.Run.WriteVariable(variable, result);
            ctx.SetOutput(0, result);
        }
    }
}
