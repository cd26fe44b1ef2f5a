namespace DataflowNet;

/// <summary>
/// Gradients through tf.cond, as TensorFlow 1 builds them: a Merge passes its gradient back through a Switch on the
/// cond's predicate, so only the taken branch receives it; a Switch merges the gradients of its two outputs (the one
/// from the untaken branch is dead, so the Merge forwards the live one).
/// </summary>
internal static class ControlFlowGrad
{
    public static readonly GradientFunction Merge = (op, grads) =>
    {
        var pred = op.CondPredicate ?? throw new NotFoundException(
            $"No gradient for Merge '{op.name}' (created at {op.CreationSite}): gradients flow through the Merge of a tf.cond built in this process, " +
            "not through a Merge imported from a graph file or written by hand.") { Op = op };
        if (op.inputs.Length != 2)
            throw new NotFoundException($"No gradient for Merge '{op.name}' with {op.inputs.Length} inputs; tf.cond's Merge has 2.") { Op = op };
        var sw = tf.OpN("Switch", [grads[0], pred], name: "cond_grad");
        return [sw[0], sw[1]];
    };

    public static readonly GradientFunction Switch = (op, grads) =>
    {
        if (op.inputs[1].op.type == "LoopCond") throw LoopError(op);
        // grads holds zeros for an output nothing used; a ZerosLike of a dead output is dead too, as it must be.
        var merged = tf.OpN("Merge", [grads[0], grads[1]], name: "cond_grad")[0];
        return [merged, null];
    };

    public static readonly GradientFunction Loop = (op, _) => throw LoopError(op);

    private static NotFoundException LoopError(Operation op) =>
        new($"No gradient through tf.while_loop: op '{op.name}' ({op.type}, created at {op.CreationSite}) is part of a loop. " +
            "DataflowNet differentiates through tf.cond but not yet through while loops.") { Op = op };
}
