package io.ordo.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.health.v1.HealthGrpc;
import io.ordo.proto.OrdoGrpc;
import io.ordo.proto.SqlGrpc;
import io.ordo.proto.StreamsGrpc;
import io.ordo.proto.SubscriptionsGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every method the gateway serves has a decided permission; the classes are as documented. */
class MethodPermissionsTest {
  @Test
  void everyServedMethodIsListed() {
    List<String> unlisted = new ArrayList<>();
    for (ServiceDescriptor service :
        List.of(
            OrdoGrpc.getServiceDescriptor(),
            StreamsGrpc.getServiceDescriptor(),
            SubscriptionsGrpc.getServiceDescriptor(),
            SqlGrpc.getServiceDescriptor(),
            HealthGrpc.getServiceDescriptor())) {
      for (MethodDescriptor<?, ?> method : service.getMethods()) {
        if (!MethodPermissions.listed(method.getFullMethodName())) {
          unlisted.add(method.getFullMethodName());
        }
      }
    }
    assertThat(unlisted).isEmpty();
  }

  @Test
  void classesOfCalls() {
    assertThat(MethodPermissions.needed(OrdoGrpc.getGetMethod().getFullMethodName())).contains(Permission.READ);
    assertThat(MethodPermissions.needed(OrdoGrpc.getPutMethod().getFullMethodName())).contains(Permission.WRITE);
    assertThat(MethodPermissions.needed(OrdoGrpc.getTxnMethod().getFullMethodName())).contains(Permission.WRITE);
    assertThat(MethodPermissions.needed(StreamsGrpc.getAppendMethod().getFullMethodName())).contains(Permission.WRITE);
    assertThat(MethodPermissions.needed(SubscriptionsGrpc.getAckMethod().getFullMethodName())).contains(Permission.WRITE);
    assertThat(MethodPermissions.needed(StreamsGrpc.getSplitShardMethod().getFullMethodName())).contains(Permission.ADMIN);
    assertThat(MethodPermissions.needed(StreamsGrpc.getMergeShardsMethod().getFullMethodName())).contains(Permission.ADMIN);
    assertThat(MethodPermissions.needed(SubscriptionsGrpc.getDeleteSubscriptionMethod().getFullMethodName())).contains(Permission.ADMIN);
    assertThat(MethodPermissions.needed(OrdoGrpc.getHealthMethod().getFullMethodName())).isEqualTo(Optional.empty());
    assertThat(MethodPermissions.needed("ordo.v1.Future/Method")).contains(Permission.ADMIN);
  }
}
