namespace DataflowNet;

/// <summary>
/// TensorFlow 1's optimizer protocol: compute_gradients, apply_gradients, minimize. Slot variables (momentum
/// accumulators, Adam's moments) are ordinary variables that tf.global_variables_initializer initializes.
/// Subclasses only say which slots they need and which raw update op applies one gradient.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<(Variable, string), Variable> _slots = new();
    private readonly TensorLike _learningRate;

    protected Optimizer(TensorLike learning_rate, string name)
    {
        _learningRate = learning_rate;
        Name = name;
    }

    public string Name { get; }

    /// <summary>(gradient, variable) pairs for the loss; a variable the loss does not depend on gets a null gradient.</summary>
    public List<(Tensor? grad, Variable var)> compute_gradients(Tensor loss, IEnumerable<Variable>? var_list = null)
    {
        if (!loss.dtype.IsFloating())
            throw new InvalidArgumentException($"The loss {loss.name} must be float32 or float64 to be minimized, got {loss.dtype.Name()}.");
        var vars = (var_list ?? loss.graph.get_collection<Variable>(GraphKeys.TRAINABLE_VARIABLES)).ToList();
        if (vars.Count == 0) throw new InvalidArgumentException($"No variables to optimize for loss {loss.name}.");
        var grads = Gradients.Compute([loss], vars.Cast<Tensor>().ToList());
        return vars.Select((v, i) => (grads[i], v)).ToList();
    }

    /// <summary>
    /// One op that applies every gradient (and then increments global_step, when given). In one run all gradients
    /// are computed from the same variable values before any update is applied.
    /// </summary>
    public Operation apply_gradients(IEnumerable<(Tensor? grad, Variable var)> grads_and_vars, Variable? global_step = null, string? name = null)
    {
        var pairs = grads_and_vars.Where(p => p.grad is not null).Select(p => (grad: p.grad!, p.var)).ToList();
        if (pairs.Count == 0)
            throw new InvalidArgumentException("No gradients provided for any variable: the loss does not depend on the variables given.");
        var graph = pairs[0].var.graph;
        using var _ = graph.as_default();
        var updates = new List<Operation>();
        using (graph.name_scope(name ?? Name))
        {
            Prepare(graph);
            foreach (var (grad, v) in pairs)
            {
                if (grad.dtype != v.dtype)
                    throw new InvalidArgumentException($"Gradient {grad.name} has dtype {grad.dtype.Name()} but variable {v.name} is {v.dtype.Name()}.");
                using (graph.name_scope("update_" + v.op.name.Replace('/', '_')))
                    updates.Add(ApplyDense(grad, v).op);
            }
            var finish = Finish(updates);
            if (global_step is null) return tf.group(finish, name: name ?? Name);
            using (graph.control_dependencies(finish))
                return global_step.assign_add(tf.constant_value(ValueConversion.Convert(TensorValue.Scalar(1), global_step.dtype, ConversionMode.Truncating, "step"), "one"),
                                              name: name ?? Name).op;
        }
    }

    /// <summary>Adds the ops that minimize <paramref name="loss"/> by updating <paramref name="var_list"/> (the trainable variables by default).</summary>
    public Operation minimize(Tensor loss, Variable? global_step = null, IEnumerable<object>? var_list = null, string? name = null)
    {
        if (!loss.shape.IsUnknownRank && loss.shape.Rank != 0)
            throw new InvalidArgumentException($"The loss to minimize must be a scalar, but {loss.name} has shape {loss.shape} (created at {loss.op.CreationSite}); reduce it with tf.reduce_mean or tf.reduce_sum.");
        List<Variable>? vars = null;
        if (var_list is not null)
        {
            vars = new();
            foreach (var item in var_list)
                vars.Add(item as Variable ?? throw new InvalidArgumentException(
                    $"var_list may hold only variables, but it holds {(item is Tensor t ? $"the tensor {t.name} (a {t.op.type} op)" : item?.GetType().Name ?? "null")}."));
        }
        return apply_gradients(compute_gradients(loss, vars), global_step, name);
    }

    /// <summary>The learning rate as a tensor of the variable's dtype (cast, as TensorFlow's optimizers do).</summary>
    protected Tensor LearningRate(Variable v) => Hyper(_learningRate, v, "learning_rate");

    /// <summary>
    /// A hyperparameter in the variable's dtype: a floating tensor of another width is cast, as TensorFlow's
    /// _apply_dense casts it (exponential_decay builds a float32 rate, which a float64 model must take); any other
    /// dtype is an error naming both.
    /// </summary>
    protected static Tensor Hyper(TensorLike value, Variable v, string name)
    {
        if (value.IsTensor && value.Tensor!.dtype != v.dtype)
        {
            if (value.Tensor.dtype.IsFloating() && v.dtype.IsFloating()) return tf.cast(value.Tensor, v.dtype);
            throw new InvalidArgumentException($"{name} {value.Tensor.name} has dtype {value.Tensor.dtype.Name()}, but variable {v.name} is {v.dtype.Name()}: they must match.");
        }
        return value.ToTensor(v.dtype, name);
    }

    /// <summary>
    /// The slot <paramref name="slot"/> of <paramref name="v"/> (TensorFlow's name for get_slot: "m", "momentum"…),
    /// created on first use as the variable <c>{v}/{variableName}</c>, named after the optimizer as in TensorFlow
    /// ("w/Adam", "w/Adam_1"), so checkpoints carry the same names both ways.
    /// </summary>
    protected Variable Slot(Variable v, string slot, string variableName, Func<Tensor> initial)
    {
        if (_slots.TryGetValue((v, slot), out var existing)) return existing;
        var graph = v.graph;
        Variable created;
        // Outside any control_dependencies around minimize (TensorFlow's init_scope): an initializer must not wait on
        // the training step's inputs, as it would inside `with tf.control_dependencies(update_ops)`.
        using (graph.control_dependencies(null))
        using (graph.name_scope(v.op.name + "/"))
            created = Variable.Create(initial(), trainable: false, name: variableName, dtype: v.dtype, validateShape: true);
        _slots[(v, slot)] = created;
        return created;
    }

    /// <summary>
    /// A slot's initial value: <paramref name="value"/> in the variable's shape and dtype. From the static shape when
    /// it is known (TensorFlow's slot_creator), so initializing a slot neither needs the variable's initializer's
    /// feeds nor draws its random numbers again.
    /// </summary>
    protected static Tensor Filled(Variable v, float value) =>
        v.shape.IsFullyDefined
            ? tf.fill(tf.constant(v.shape.as_list()), tf.cast(value, v.dtype))
            : tf.fill(tf.shape(v.initial_value), tf.cast(value, v.dtype));

    /// <summary>The slot of <paramref name="var"/> by TensorFlow's slot name ("momentum"; Adam's "m" and "v"; "accumulator"; "rms").</summary>
    public Variable? get_slot(Variable var, string name) => _slots.GetValueOrDefault((var, name));

    /// <summary>The slot names this optimizer has created, as TensorFlow's get_slot_names.</summary>
    public List<string> get_slot_names() => _slots.Keys.Select(k => k.Item2).Distinct().Order().ToList();

    /// <summary>Creates non-slot state (Adam's beta powers) before the updates.</summary>
    protected virtual void Prepare(Graph graph) { }

    /// <summary>The update op for one variable.</summary>
    protected abstract Tensor ApplyDense(Tensor grad, Variable v);

    /// <summary>Ops to run after all updates (Adam advances its beta powers); by default the updates themselves.</summary>
    protected virtual Operation[] Finish(List<Operation> updates) => updates.ToArray();

    internal static Tensor ApplyOp(string type, Tensor[] inputs, Dictionary<string, object>? attrs = null) =>
        tf.Op(type, inputs, attrs, type);
}
