package dev.sublinear.config;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.swagger.v3.core.jackson.ModelResolver;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;
import io.swagger.v3.oas.models.tags.Tag;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.providers.ObjectMapperProvider;
import org.springdoc.core.utils.SpringDocUtils;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.JsonNode;

/**
 * What springdoc cannot read off the controllers: the API's description, its security scheme, the
 * problem+json error responses every operation can give, and the JSON names (snake_case, as the
 * application's Jackson 3 writes them; springdoc introspects with its own Jackson 2).
 * {@code api-spec/openapi.yaml} is the reviewed copy of what this produces; a test keeps them equal.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    static final String PROBLEM = "Problem";
    static final String PROBLEM_JSON = "application/problem+json";

    static {
        // fields kept as the JSON given ("auto" or a number) are described by their own anyOf, not as a bean
        SpringDocUtils.getConfig().replaceWithSchema(JsonNode.class, new Schema<>());
    }

    @Bean
    ModelResolver snakeCaseModelResolver(ObjectMapperProvider mappers) {
        return new ModelResolver(
                        mappers.jsonMapper().copy().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE))
                .openapi31(mappers.isOpenapi31());
    }

    @Bean
    OpenAPI sublinearOpenApi() {
        return new OpenAPI()
                .info(new Info()
                        .title("Sublinear")
                        .version("v1")
                        .description("Fine-tuning as a service, trained with Adafactor. OpenAI-shaped files and"
                                + " fine-tuning jobs, plus live events (Server-Sent Events), metrics with optimizer"
                                + " memory, checkpoints, pause/resume, inference on fine-tuned models and a workers"
                                + " view. JSON is snake_case; times are UTC epoch seconds; lists are"
                                + " {object, data, has_more, first_id, last_id} with cursor paging by `after` and"
                                + " `limit`; errors are RFC 9457 problem+json naming the field at fault in `param`."))
                .servers(List.of(new Server().url("http://localhost:8080").description("the embedded defaults")))
                .tags(List.of(
                        new Tag().name("Files").description("Training data and model archives"),
                        new Tag().name("Fine-tuning").description("Jobs, their events, metrics and checkpoints"),
                        new Tag().name("Models").description("Catalog and fine-tuned models, and trying them"),
                        new Tag()
                                .name("Inference")
                                .description("OpenAI-compatible completions and chat completions, streamed or not"),
                        new Tag().name("Workers").description("The workers that train jobs"),
                        new Tag().name("Limits").description("The caller's limits and usage"),
                        new Tag().name("Admin").description("Tenants, API keys and limits (admin keys only)")))
                .components(new Components()
                        .addSecuritySchemes(
                                "bearerAuth",
                                new SecurityScheme()
                                        .type(SecurityScheme.Type.HTTP)
                                        .scheme("bearer")
                                        .description("An API key as `Authorization: Bearer "
                                                + "<key>`; the key decides the tenant."
                                                + " Missing or invalid: 401. A "
                                                + "non-admin key on /v1/admin or /v1/workers: 403."
                                                + " Over the tenant's request rate: 429 with Retry-After.")))
                .security(List.of(new SecurityRequirement().addList("bearerAuth")));
    }

    /** Adds the problem+json responses each operation can give, by what it takes. */
    @Bean
    OpenApiCustomizer problemResponses() {
        return openApi -> {
            // added here, after scanning: schemas set on the OpenAPI bean are replaced by the scanned ones
            openApi.getComponents().addSchemas(PROBLEM, problemSchema());
            addProblems(openApi);
            describeOptimizerBeta2(openApi);
            describeJsonFields(openApi);
        };
    }

    /**
     * Fields read as the JSON given (JsonNode) are described by their annotations: an "auto"-or-number
     * field by its anyOf, without the object type the scanner gives every JsonNode; the methods this
     * service refuses (dpo, reinforcement) as objects.
     */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static void describeJsonFields(OpenAPI openApi) {
        openApi.getComponents().getSchemas().forEach((name, schema) -> {
            if (schema.getProperties() == null) {
                return;
            }
            ((Map<String, Schema>) schema.getProperties()).forEach((field, property) -> {
                if (property.getAnyOf() != null) {
                    property.setType(null);
                    property.setTypes(null);
                }
            });
        });
        Schema method = openApi.getComponents().getSchemas().get("MethodRequest");
        if (method != null && method.getProperties() != null) {
            for (String refused : List.of("dpo", "reinforcement")) {
                Schema property = (Schema) method.getProperties().get(refused);
                if (property != null) {
                    property.setType("object");
                    property.setTypes(new LinkedHashSet<>(List.of("object")));
                }
            }
        }
    }

    /**
     * The optimizer's options are the optimizer package's own record, which carries no API
     * annotations: that beta2 may be null (Adafactor's increasing decay) is said here.
     */
    @SuppressWarnings("rawtypes")
    private static void describeOptimizerBeta2(OpenAPI openApi) {
        Schema optimizer = openApi.getComponents().getSchemas().get("Optimizer");
        Schema beta2 = optimizer == null || optimizer.getProperties() == null
                ? null
                : (Schema) optimizer.getProperties().get("beta2");
        if (beta2 != null) {
            beta2.setTypes(new LinkedHashSet<>(List.of("number", "null")));
            beta2.setDescription(
                    "The fixed second-moment decay; null for Adafactor's increasing decay" + " 1 - t^-decay_rate.");
        }
    }

    private static void addProblems(OpenAPI openApi) {
        openApi.getPaths()
                .forEach((path, item) -> item.readOperationsMap().forEach((method, op) -> {
                    ApiResponses responses = op.getResponses();
                    responses.addApiResponse("400", problem("The request is invalid; `param` names the field."));
                    if (path.contains("{")) {
                        responses.addApiResponse("404", problem("No such resource for this tenant."));
                    }
                    if (method == PathItem.HttpMethod.POST && path.contains("{")
                            || method == PathItem.HttpMethod.DELETE) {
                        responses.addApiResponse("409", problem("The resource's state does not allow it."));
                    }
                    if (isUpload(op)) {
                        responses.addApiResponse("413", problem("The upload is over the size limit."));
                    } else if (op.getRequestBody() != null) {
                        responses.addApiResponse(
                                "413",
                                problem("The body is over the limit for JSON bodies"
                                        + " (sublinear.request-body.max-json-size, 64 KiB by default)."));
                    }
                    if (method != PathItem.HttpMethod.GET) {
                        responses.addApiResponse("507", problem("The service's storage is full; nothing was stored."));
                    }
                    responses.addApiResponse("500", problem("The service failed; nothing about the cause is shown."));
                }));
    }

    private static boolean isUpload(Operation op) {
        return op.getRequestBody() != null
                && op.getRequestBody().getContent() != null
                && op.getRequestBody().getContent().containsKey("multipart/form-data");
    }

    private static ApiResponse problem(String description) {
        return new ApiResponse()
                .description(description)
                .content(new Content()
                        .addMediaType(
                                PROBLEM_JSON,
                                new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM))));
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private static Schema problemSchema() {
        Schema schema = new ObjectSchema()
                .description("An RFC 9457 problem: what went wrong, and which field.")
                .addProperty(
                        "type",
                        new StringSchema()
                                .description("A URI for the problem type")
                                .example("about:blank"))
                .addProperty("title", new StringSchema().example("Bad Request"))
                .addProperty("status", new IntegerSchema().example(400))
                .addProperty(
                        "detail",
                        new StringSchema()
                                .example("hyperparameters.n_epochs: must be greater than or equal" + " to 1 (was 0)"))
                .addProperty("instance", new StringSchema().example("/v1/fine_tuning/jobs"))
                .addProperty(
                        "code",
                        new StringSchema()
                                .description("invalid_request, unknown_field, invalid_type, "
                                        + "invalid_json, not_found, conflict,"
                                        + " file_too_large, body_too_large or internal_error")
                                .example("invalid_request"))
                .addProperty(
                        "param",
                        new StringSchema()
                                .description("The field, parameter, header or form part at"
                                        + " fault, as a snake_case JSON path; "
                                        + "null when the request as a whole is wrong")
                                .example("hyperparameters.n_epochs"))
                .addProperty(
                        "error",
                        new ObjectSchema()
                                .description("The same in OpenAI's error envelope (message, type, param, code),"
                                        + " which the official OpenAI SDKs read")
                                .addProperty("message", new StringSchema())
                                .addProperty("type", new StringSchema().example("invalid_request_error"))
                                .addProperty("param", new StringSchema())
                                .addProperty("code", new StringSchema()))
                .addProperty(
                        "errors",
                        new ArraySchema()
                                .items(new StringSchema())
                                .description("Every problem found, for validation errors and file lines"));
        schema.setRequired(List.of("status", "detail", "code"));
        schema.setExample(Map.of(
                "type",
                "about:blank",
                "title",
                "Bad Request",
                "status",
                400,
                "detail",
                "unknown field 'epochs'",
                "instance",
                "/v1/fine_tuning/jobs",
                "code",
                "unknown_field",
                "param",
                "epochs"));
        return schema;
    }
}
