/// Why an estimator gives no result (no convergence, collinearity, too little data): the message
/// says what happened and what to change. A failed fit is never presented as a result.
public struct EstimationFailure: Error, Equatable, CustomStringConvertible {
    public var message: String

    public init(message: String) { self.message = message }

    public var description: String { message }
}
