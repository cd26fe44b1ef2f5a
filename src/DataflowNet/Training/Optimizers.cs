namespace DataflowNet;

/// <summary>var -= learning_rate * grad.</summary>
public sealed class GradientDescentOptimizer(TensorLike learning_rate, string name = "GradientDescent") : Optimizer(learning_rate, name)
{
    protected override Tensor ApplyDense(Tensor grad, Variable v) =>
        ApplyOp("ApplyGradientDescent", [v.Ref, LearningRate(v), grad]);
}

/// <summary>accum = momentum * accum + grad; var -= lr * accum (or the Nesterov form).</summary>
public sealed class MomentumOptimizer(TensorLike learning_rate, TensorLike momentum, bool use_nesterov = false, string name = "Momentum")
    : Optimizer(learning_rate, name)
{
    protected override Tensor ApplyDense(Tensor grad, Variable v)
    {
        var accum = Slot(v, "momentum", Name, () => Filled(v, 0));
        var (lr, mu) = (LearningRate(v), Hyper(momentum, v, "momentum"));
        if (RowSparse.Of(grad) is { } rows && !v.shape.IsUnknownRank)
        {
            // An embedding's gradient: as TensorFlow's SparseApplyMomentum, only the looked-up rows move, with their accumulators.
            var mask = RowSparse.Mask(rows, v.shape.Rank, v.dtype);
            var newAccum = tf.where_v2(mask, accum * mu + grad, accum);
            var step = use_nesterov ? grad * lr + newAccum * mu * lr : newAccum * lr;
            var newVar = v - tf.where_v2(mask, step, tf.zeros_like(step));
            using (v.graph.control_dependencies([accum.assign(newAccum)]))
                return v.assign(newVar);
        }
        return ApplyOp("ApplyMomentum", [v.Ref, accum.Ref, lr, grad, mu], new() { ["use_nesterov"] = use_nesterov });
    }
}

/// <summary>
/// Adam with TensorFlow 1's rule: lr_t = lr·sqrt(1-β2^t)/(1-β1^t), epsilon added to sqrt(v). β1^t and β2^t are
/// variables advanced after every step.
/// </summary>
public sealed class AdamOptimizer(TensorLike? learning_rate = null, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, string name = "Adam")
    : Optimizer(learning_rate ?? 0.001f, name)
{
    private Variable? _beta1Power, _beta2Power;

    protected override void Prepare(Graph graph)
    {
        if (_beta1Power is not null) return;
        using (graph.control_dependencies(null))
        using (graph.name_scope("/"))
        {
            _beta1Power = Variable.Create(beta1, trainable: false, name: "beta1_power", dtype: null, validateShape: true);
            _beta2Power = Variable.Create(beta2, trainable: false, name: "beta2_power", dtype: null, validateShape: true);
        }
    }

    protected override Tensor ApplyDense(Tensor grad, Variable v)
    {
        var m = Slot(v, "m", Name, () => Filled(v, 0));
        var s = Slot(v, "v", Name + "_1", () => Filled(v, 0));
        return ApplyOp("ApplyAdam", [v.Ref, m.Ref, s.Ref, tf.cast(_beta1Power!, v.dtype), tf.cast(_beta2Power!, v.dtype), LearningRate(v),
                                     Hyper(beta1, v, "beta1"), Hyper(beta2, v, "beta2"), Hyper(epsilon, v, "epsilon"), grad]);
    }

    protected override Operation[] Finish(List<Operation> updates)
    {
        using (tf.control_dependencies(updates))
            return [.. updates, _beta1Power!.assign(_beta1Power * beta1).op, _beta2Power!.assign(_beta2Power * beta2).op];
    }
}

/// <summary>accum += grad²; var -= lr·grad/sqrt(accum), the accumulator starting at 0.1 (TensorFlow 1's default, no epsilon).</summary>
public sealed class AdagradOptimizer(TensorLike learning_rate, float initial_accumulator_value = 0.1f, string name = "Adagrad")
    : Optimizer(learning_rate, name)
{
    private readonly float _initialAccumulator = initial_accumulator_value > 0 ? initial_accumulator_value
        : throw new InvalidArgumentException($"initial_accumulator_value must be positive: {initial_accumulator_value}");

    protected override Tensor ApplyDense(Tensor grad, Variable v)
    {
        var accum = Slot(v, "accumulator", Name, () => Filled(v, _initialAccumulator));
        return ApplyOp("ApplyAdagrad", [v.Ref, accum.Ref, LearningRate(v), grad]);
    }
}

/// <summary>RMSProp as TensorFlow 1: the mean-square slot starts at ones, epsilon inside the square root.</summary>
public sealed class RMSPropOptimizer(TensorLike learning_rate, float decay = 0.9f, float momentum = 0f, float epsilon = 1e-10f, string name = "RMSProp")
    : Optimizer(learning_rate, name)
{
    protected override Tensor ApplyDense(Tensor grad, Variable v)
    {
        var ms = Slot(v, "rms", Name, () => Filled(v, 1));
        var mom = Slot(v, "momentum", Name + "_1", () => Filled(v, 0));
        var (lr, rho, mu, eps) = (LearningRate(v), Hyper(decay, v, "decay"), Hyper(momentum, v, "momentum"), Hyper(epsilon, v, "epsilon"));
        if (RowSparse.Of(grad) is { } rows && !v.shape.IsUnknownRank)
        {
            // An embedding's gradient: as TensorFlow's SparseApplyRMSProp, only the looked-up rows and their slots change.
            var mask = RowSparse.Mask(rows, v.shape.Rank, v.dtype);
            var newMs = tf.where_v2(mask, ms * rho + grad * grad * (1f - rho), ms);
            var newMom = tf.where_v2(mask, mom * mu + grad * lr / tf.sqrt(newMs + eps), mom);
            var newVar = v - tf.where_v2(mask, newMom, tf.zeros_like(newMom));
            using (v.graph.control_dependencies([ms.assign(newMs), mom.assign(newMom)]))
                return v.assign(newVar);
        }
        return ApplyOp("ApplyRMSProp", [v.Ref, ms.Ref, mom.Ref, lr, rho, mu, eps, grad]);
    }
}
