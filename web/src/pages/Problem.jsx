/** An error from Apollo Client, shown as the API said it (message and extensions.code). */
export function Problem({ error }) {
  const errors = error.graphQLErrors?.length
    ? error.graphQLErrors.map((e) => `${e.message} (${e.extensions?.code ?? "ERROR"})`)
    : [error.message];
  return (
    <div className="problem" role="alert">
      {errors.map((text) => (
        <p key={text}>{text}</p>
      ))}
    </div>
  );
}
