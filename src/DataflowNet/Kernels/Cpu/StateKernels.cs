using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DataflowNet.Kernels.Cpu;

/// <summary>
/// Variables: reads go through the run's state; a write fills the variable's spare buffer, staged until the run
/// commits (so updates allocate nothing once warm, and a failed run changes nothing).
/// </summary>
internal static class StateKernels
{
    public static void Register(KernelRegistry r)
    {
        // Outputs nothing when uninitialized; a consumer that needs the value reports the uninitialized variable.
        r.Register("VariableV2", null, ctx => ctx.Outputs[0] = ctx.Run.TryReadVariable(ctx.SelfCell!));
        r.Register("Assign", null, ctx =>
        {
            var value = ctx.Input(1);
            var cell = ctx.Variable(0);
            if (ctx.Attr<bool>("validate_shape")) VariableWrites.CheckAssign(ctx, cell, value.Dims);
            // The variable keeps its own copy: the value's buffer may be reused by its producer next run.
            var staged = ctx.Run.StageWrite(cell, value.dtype, value.Dims);
            Array.Copy(value.Data, staged.Data, value.size);
            ctx.SetOutput(0, staged);
        });
        r.Register("AssignAdd", DataTypeExtensions.Numeric, ctx => { var a = new UpdateAction(ctx, add: true); TypeSwitch.Numeric(ctx.Input(1).dtype, ref a); });
        r.Register("AssignSub", DataTypeExtensions.Numeric, ctx => { var a = new UpdateAction(ctx, add: false); TypeSwitch.Numeric(ctx.Input(1).dtype, ref a); });
    }

    private readonly struct UpdateAction(KernelContext ctx, bool add) : INumericAction
    {
        public void Invoke<T>() where T : unmanaged, INumber<T>
        {
            var cell = ctx.Variable(0);
            var delta = ctx.Input(1);
            var old = VariableWrites.ReadForUpdate(ctx, cell, delta);
            var result = ctx.Run.StageWrite(cell, old.dtype, old.Dims);
            if (add) TP.Add<T>(old.Buffer<T>(), delta.Buffer<T>(), result.Buffer<T>());
            else TP.Subtract<T>(old.Buffer<T>(), delta.Buffer<T>(), result.Buffer<T>());
            ctx.SetOutput(0, result);
        }
    }
}
