//! Provider-defined functions: their signatures (GetProviderSchema, GetFunctions) and
//! CallFunction, which holds a call to its signature before the function sees it.

use super::core::Server;
use crate::function::{FunctionError, Signature};
use crate::provider::Provider;
use crate::value::Value;

impl<P: Provider> Server<P> {
    /// Every function's signature, by name.
    pub fn functions(&self) -> impl Iterator<Item = (&'static str, &Signature)> {
        self.functions
            .iter()
            .map(|(name, (_, signature))| (*name, signature))
    }

    /// Function `name`'s signature, or the error that says there is none.
    pub fn function_signature(&self, name: &str) -> Result<&Signature, FunctionError> {
        self.functions
            .get(name)
            .map(|(_, signature)| signature)
            .ok_or_else(|| self.no_function(name))
    }

    fn no_function(&self, name: &str) -> FunctionError {
        FunctionError::new(format!(
            "The provider {} has no function named {name:?}.",
            self.provider.type_name()
        ))
    }

    /// CallFunction: `arguments` must match the parameters in number, and none may be null;
    /// an unknown argument gives an unknown result without a call.
    pub fn call_function(&self, name: &str, arguments: &[Value]) -> Result<Value, FunctionError> {
        let Some((function, signature)) = self.functions.get(name) else {
            return Err(self.no_function(name));
        };
        let expected = signature.parameters.len();
        if arguments.len() != expected {
            let plural = if expected == 1 { "" } else { "s" };
            return Err(FunctionError::new(format!(
                "{name} takes {expected} argument{plural}, got {}.",
                arguments.len()
            )));
        }
        if let Some(index) = arguments.iter().position(Value::is_null) {
            return Err(FunctionError::at_argument(
                index,
                format!("{} must not be null.", signature.parameters[index].name),
            ));
        }
        if arguments.iter().any(|argument| !argument.is_wholly_known()) {
            return Ok(Value::Unknown);
        }
        function.call(arguments)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestProvider;
    use crate::value::Type;

    fn greeting(value: &str) -> Value {
        Value::Object([("greeting".to_owned(), Value::String(value.to_owned()))].into())
    }

    #[test]
    fn functions_are_listed_with_their_signatures() {
        let server = Server::new(TestProvider::default());
        let listed: Vec<&str> = server.functions().map(|(name, _)| name).collect();
        assert_eq!(listed, ["greeting"]);
        let signature = server.function_signature("greeting").unwrap();
        assert_eq!(signature.parameters[0].name, "name");
        assert!(matches!(signature.returns, Type::Object(_)));
    }

    #[test]
    fn calls_are_held_to_the_signature_before_the_function_runs() {
        let server = Server::new(TestProvider::default());
        let call = |arguments: &[Value]| server.call_function("greeting", arguments);
        assert_eq!(call(&["Ada".into()]), Ok(greeting("hello, Ada")));
        assert_eq!(call(&[Value::Unknown]), Ok(Value::Unknown));
        assert_eq!(
            call(&[]),
            Err(FunctionError::new("greeting takes 1 argument, got 0."))
        );
        assert_eq!(
            call(&[Value::Null]),
            Err(FunctionError::at_argument(0, "name must not be null."))
        );
        assert_eq!(
            call(&["".into()]),
            Err(FunctionError::at_argument(0, "name must not be empty."))
        );
        let missing = server.call_function("farewell", &[]).unwrap_err();
        assert_eq!(
            missing.text,
            "The provider test has no function named \"farewell\"."
        );
    }
}
