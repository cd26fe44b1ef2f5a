namespace DataflowNet;

/// <summary>
/// Base of the runtime's errors, after TensorFlow's status codes. Messages name the op or tensor at fault, what was
/// expected and what was given, and where in user code the op was created.
/// </summary>
public class DataflowException : Exception
{
    public DataflowException(string message, Exception? inner = null) : base(message, inner) { }
    /// <summary>The op the error is about, when there is one.</summary>
    public Operation? Op { get; init; }
}

/// <summary>A bad argument: wrong dtype or shape, an incompatible graph, a bad feed.</summary>
public class InvalidArgumentException : DataflowException
{
    public InvalidArgumentException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The system is not in a state to run the op: an uninitialized variable, a finalized graph.</summary>
public class FailedPreconditionException : DataflowException
{
    public FailedPreconditionException(string message) : base(message) { }
}

/// <summary>Something named was not found: an op type, a tensor name.</summary>
public class NotFoundException : DataflowException
{
    public NotFoundException(string message) : base(message) { }
}

/// <summary>The op exists but has no kernel for this device or dtype.</summary>
public class UnimplementedException : DataflowException
{
    public UnimplementedException(string message) : base(message) { }
}

/// <summary>An index or count outside its valid range at run time.</summary>
public class OutOfRangeException : DataflowException
{
    public OutOfRangeException(string message) : base(message) { }
}

/// <summary>A resource ran out: device memory under its cap.</summary>
public class ResourceExhaustedException : DataflowException
{
    public ResourceExhaustedException(string message) : base(message) { }
}

/// <summary>Unrecoverable data loss or corruption: a checkpoint whose checksums do not match, a truncated file.</summary>
public class DataLossException : DataflowException
{
    public DataLossException(string message) : base(message) { }
}
