namespace DataflowNet;

/// <summary>
/// A session's variable values. Values are immutable: an assignment makes a new value and swaps it in, so a
/// value already read (or fetched) never changes under its reader.
/// </summary>
internal sealed class VariableStore
{
    private readonly Dictionary<Operation, TensorValue> _values = new();
    private readonly object _gate = new();

    public TensorValue? TryRead(Operation variable)
    {
        lock (_gate) return _values.GetValueOrDefault(variable);
    }

    public void Commit(Dictionary<Operation, TensorValue> writes)
    {
        lock (_gate) foreach (var (k, v) in writes) _values[k] = v;
    }

    public void Clear() { lock (_gate) _values.Clear(); }
}

/// <summary>
/// The state of one <c>Session.run</c>: variable writes are staged here and committed only when the whole run
/// succeeds, so a failed run changes no variable.
/// </summary>
internal sealed class RunState(Session session)
{
    private Dictionary<Operation, TensorValue>? _pending;

    public Session Session { get; } = session;

    public TensorValue? TryReadVariable(Operation variable) =>
        _pending is not null && _pending.TryGetValue(variable, out var v) ? v : Session.Variables.TryRead(variable);

    /// <summary>The variable's value, or TensorFlow's uninitialized-value error.</summary>
    public TensorValue ReadVariable(Operation variable) => TryReadVariable(variable) ?? throw Uninitialized(variable);

    public void WriteVariable(Operation variable, TensorValue value) => (_pending ??= new())[variable] = value;

    public void Commit()
    {
        if (_pending is not null) Session.Variables.Commit(_pending);
    }

    internal static FailedPreconditionException Uninitialized(Operation variable) =>
        new($"Attempting to use uninitialized value {variable.name}\n\t [[node {variable.name} (defined at {variable.CreationSite})]]\n" +
            "Run its initializer first, e.g. sess.run(tf.global_variables_initializer()).") { Op = variable };
}
