package io.gitops.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * {@code @ExtendWith(MotoExtension.class)}: one {@link MotoServer} for the whole JVM, reset before every
 * test. Test methods and constructors may take a {@link MotoServer} parameter.
 *
 * <p>A class annotated {@link OwnServer} gets a server of its own instead, started on first use
 * and stopped after its last, so that it can run beside the other classes (JUnit's
 * {@code @Execution(CONCURRENT)}) without either seeing the other's state or resets. {@code @Execution} on a
 * class also makes its methods concurrent; its tests share the one server, so such a class also carries
 * {@code @ResourceLock("<its name>")} to run them one at a time.
 */
public final class MotoExtension implements BeforeEachCallback, AfterAllCallback, ParameterResolver {
  /** The servers of the classes annotated {@link OwnServer}, started on first use, stopped after the class. */
  private static final Map<Class<?>, MotoServer> OWN = new ConcurrentHashMap<>();

  /** The test class runs against its own moto_server (see the class comment). */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.TYPE)
  public @interface OwnServer {}

  @Override
  public void beforeEach(ExtensionContext context) {
    server(context).reset();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    MotoServer own = OWN.remove(context.getRequiredTestClass());
    if (own != null) own.close();
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    return p.getParameter().getType() == MotoServer.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) {
    return server(e);
  }

  private static MotoServer server(ExtensionContext context) {
    Class<?> testClass = context.getRequiredTestClass();
    return testClass.isAnnotationPresent(OwnServer.class)
        ? OWN.computeIfAbsent(testClass, c -> MotoServer.start())
        : MotoServer.shared();
  }
}
