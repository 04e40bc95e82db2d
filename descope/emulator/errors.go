package emulator

import (
	"errors"
	"fmt"
	"net/http"
)

// Error codes the emulator answers with (docs/descope-api.md sections 2.2 and 8).
const (
	CodeBadRequest       = "E011001" // not JSON, or a field of the wrong JSON type
	CodeMissingArguments = "E011002" // a required field is missing or empty
	CodeValidation       = "E011003" // unauthorized, or a create that already exists
	CodeInvalidArguments = "E011004" // a value out of range, or an object not found
	CodeRateLimited      = "E130429" // rate limit exceeded
)

// apiError is an error answer: an HTTP status and the JSON error body.
type apiError struct {
	status      int
	code        string
	description string
	message     string
}

// Error returns the error message, which names the field or object at fault.
func (e *apiError) Error() string { return e.message }

// at prefixes the message with where in a batch the error is ("roles[2]").
func at(err error, format string, args ...any) error {
	var ae *apiError
	if errors.As(err, &ae) {
		c := *ae
		c.message = fmt.Sprintf(format, args...) + ": " + ae.message
		return &c
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// body is the JSON error body every non-2xx answer carries.
func (e *apiError) body() errorBody {
	return errorBody{Code: e.code, Description: e.description, Message: e.message}
}

type errorBody struct {
	Code        string `json:"errorCode"`
	Description string `json:"errorDescription"`
	Message     string `json:"errorMessage"`
}

// badRequest is 400 E011001: the body is not JSON or a field has the wrong type.
func badRequest(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, CodeBadRequest, "Bad request", fmt.Sprintf(format, args...)}
}

// missingField is 400 E011002 with the live API's wording.
func missingField(field string) *apiError {
	return &apiError{http.StatusBadRequest, CodeMissingArguments, "Missing arguments",
		fmt.Sprintf("The %s field is required", field)}
}

// invalid is 400 E011004: a value out of range.
func invalid(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, CodeInvalidArguments, "Invalid argument", fmt.Sprintf(format, args...)}
}

// notFound is 404 E011004: the object a request names does not exist.
func notFound(kind, name string) *apiError {
	return &apiError{http.StatusNotFound, CodeInvalidArguments, "Not found", fmt.Sprintf("%s %q not found", kind, name)}
}

// conflict is 409 E011003: a create whose id or name already exists.
func conflict(format string, args ...any) *apiError {
	return &apiError{http.StatusConflict, CodeValidation, "Already exists", fmt.Sprintf(format, args...)}
}

// unauthorized is 401 E011003.
func unauthorized(message string) *apiError {
	return &apiError{http.StatusUnauthorized, CodeValidation, "Unauthorized", message}
}

// rateLimited is the 429 body of docs/descope-api.md section 3.
func rateLimited() *apiError {
	return &apiError{http.StatusTooManyRequests, CodeRateLimited, "https://docs.descope.com/rate-limit", "API rate limit exceeded."}
}

// internalError is 500, for a failure of the emulator itself (persisting state).
func internalError(format string, args ...any) *apiError {
	return &apiError{http.StatusInternalServerError, "E010500", "Internal error", fmt.Sprintf(format, args...)}
}
