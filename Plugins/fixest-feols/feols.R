# Paperflow plugin: a linear model with fixed effects in R, written in the fit format of models.fe.
# argv: the request JSON (params, inputs, outputs, the reply path); see Plugins/README.md.
args <- commandArgs(trailingOnly = TRUE)
request <- jsonlite::fromJSON(args[1], simplifyVector = FALSE)
params <- request$params
reply <- list(outputs = list(), messages = list(), diagnostics = list())

fail <- function(message) {
  reply$diagnostics <- list(list(level = "error", message = message))
  writeLines(jsonlite::toJSON(reply, auto_unbox = TRUE), request$reply)
  quit(status = 2)
}

formula_text <- params$formula
parts <- strsplit(formula_text, "|", fixed = TRUE)[[1]]
if (length(parts) > 2) fail(sprintf("formula '%s' has more than one '|'", formula_text))
fixed <- if (length(parts) == 2) trimws(strsplit(parts[2], "+", fixed = TRUE)[[1]]) else character(0)
base <- tryCatch(stats::as.formula(parts[1]), error = function(e) fail(sprintf("formula '%s': %s", formula_text, conditionMessage(e))))

data <- utils::read.csv(request$inputs$table[[1]]$path, stringsAsFactors = FALSE)
vcov <- params$vcov
cluster <- NULL
if (is.list(vcov)) {
  cluster <- unlist(vcov$cluster)
  if (length(cluster) != 1) fail("vcov takes classical, hc1 or {cluster: [var]} (one clustering variable)")
} else if (!(vcov %in% c("classical", "hc1"))) {
  fail(sprintf("vcov '%s' is not one of classical, hc1, {cluster: [var]}", vcov))
}
needed <- unique(c(all.vars(base), fixed, cluster))
absent <- setdiff(needed, names(data))
if (length(absent) > 0) fail(sprintf("column '%s' is not in the table; it has %s", absent[1], paste(names(data), collapse = ", ")))
complete <- stats::complete.cases(data[needed])
dropped <- sum(!complete)
data <- data[complete, , drop = FALSE]

use_fixest <- requireNamespace("fixest", quietly = TRUE)
if (use_fixest) {
  model <- fixest::feols(stats::as.formula(formula_text), data = data)
  vc <- if (!is.null(cluster)) stats::vcov(model, cluster = cluster) else if (vcov == "hc1") stats::vcov(model, vcov = "hetero") else stats::vcov(model, vcov = "iid")
  estimates <- stats::coef(model)
  implementation <- paste("fixest", as.character(utils::packageVersion("fixest")))
  convention <- "fixest"
  r2 <- fixest::r2(model, "r2")[[1]]
  slopes <- names(estimates)
} else {
  terms <- c(attr(stats::terms(base), "term.labels"), sprintf("factor(%s)", fixed))
  full <- stats::reformulate(terms, response = all.vars(base)[1])
  model <- stats::lm(full, data = data)
  vc_all <- if (!is.null(cluster)) sandwich::vcovCL(model, cluster = data[[cluster]], type = "HC1")
            else if (vcov == "hc1") sandwich::vcovHC(model, type = "HC1") else stats::vcov(model)
  slopes <- attr(stats::terms(base), "term.labels")
  slopes <- slopes[slopes %in% names(stats::coef(model))]
  estimates <- stats::coef(model)[slopes]
  vc <- vc_all[slopes, slopes, drop = FALSE]
  implementation <- paste("R", getRversion(), "lm + sandwich", as.character(utils::packageVersion("sandwich")))
  convention <- "sandwich"
  r2 <- summary(model)$r.squared
}
n <- stats::nobs(model)
se <- sqrt(diag(vc))
df <- if (!is.null(cluster)) length(unique(data[[cluster]])) - 1 else stats::df.residual(model)
statistic <- estimates / se
p <- 2 * stats::pt(abs(statistic), df, lower.tail = FALSE)
stars <- ifelse(p < 0.01, "***", ifelse(p < 0.05, "**", ifelse(p < 0.1, "*", "")))
rows <- lapply(seq_along(slopes), function(i) list(name = slopes[i], estimate = unname(estimates[i]), se = unname(se[i]),
                                                  statistic = unname(statistic[i]), p = unname(p[i]), stars = stars[i]))
fit <- list(
  estimator = "fe", implementation = implementation, formula = formula_text,
  table_digest = request$inputs$table[[1]]$digest, subset = "", observations = n,
  observations_dropped_missing = dropped, coefficients = rows,
  vcov_matrix = lapply(seq_len(nrow(vc)), function(i) unname(vc[i, ])), r2 = r2,
  converged = TRUE, collinear = list(), convention = convention,
  vcov = if (!is.null(cluster)) paste("cluster:", cluster) else vcov,
  fixed_effects = lapply(fixed, function(f) list(name = f, levels = length(unique(data[[f]]))))
)
writeLines(jsonlite::toJSON(fit, auto_unbox = TRUE, digits = NA, pretty = TRUE), request$outputs$fit$path)
reply$outputs$fit <- "fit.json"
reply$messages <- list(sprintf("%s: %d observations", implementation, n))
writeLines(jsonlite::toJSON(reply, auto_unbox = TRUE), request$reply)
